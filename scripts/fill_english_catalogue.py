"""Fill the English catalogue: the source strings are English, so each msgstr is its msgid."""
from pathlib import Path

from babel.messages.pofile import read_po, write_po

PATH = Path(__file__).resolve().parent.parent / "translations/en/LC_MESSAGES/messages.po"

with PATH.open("rb") as f:
    catalog = read_po(f, locale="en")
for message in catalog:
    if not message.id:
        continue
    if isinstance(message.id, tuple):
        message.string = tuple(message.id[min(i, 1)] for i in range(catalog.num_plurals))
    else:
        message.string = message.id
    message.flags.discard("fuzzy")
with PATH.open("wb") as f:
    write_po(f, catalog, width=100, omit_header=False)
