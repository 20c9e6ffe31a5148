"""Give the French catalogue its typography: a non-breaking space (U+00A0) before : ; ? ! used as
punctuation and inside « », where a translation has an ordinary space or none. Run after filling
French translations (tests/test_i18n.py checks the catalogue): .venv/bin/python scripts/french_typography.py
"""
import re
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

NBSP = "\u00a0"
CATALOGUE = Path(__file__).resolve().parent.parent / "translations/fr/LC_MESSAGES/messages.po"
#: A mark used as punctuation: followed by a space or the end (not "https://", "09:30", "?page=2").
BEFORE_MARK = re.compile(r"(?:[ \t]|(?<=[^\s\u00a0\u202f]))([:;?!])(?=\s|$)")


def typeset(text: str) -> str:
    text = BEFORE_MARK.sub(NBSP + r"\1", text)
    return text.replace("« ", "«" + NBSP).replace(" »", NBSP + "»")


def main(path: Path = CATALOGUE) -> int:
    with open(path, "rb") as f:
        catalogue = read_po(f, locale="fr")
    changed = 0
    for message in catalogue:
        if not message.id:
            continue  # the header
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        fixed = tuple(typeset(s) if s else s for s in strings)
        if fixed != strings:
            changed += 1
            message.string = fixed if isinstance(message.string, tuple) else fixed[0]
    with open(path, "wb") as f:
        write_po(f, catalogue, width=76, omit_header=False)
    print(f"{changed} French messages given their non-breaking spaces.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
