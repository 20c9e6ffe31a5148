"""1EdTech's JSON Schema of an Open Badges 3.0 credential, bundled (origin in contexts/SOURCES.md).

What 1EdTech's own validator checks a credential's JSON against, beside the proofs: required
properties, the kinds of values (a `name` is a string, every collection an array — a single
`proof` object fails it), the language codes and the date-time formats (checked: the format
checker finds rfc3339-validator installed). Nothing is fetched: the schema has no external $ref.
"""
import json

from jsonschema import Draft201909Validator

from centre.credentials.jsonld import CONTEXT_DIR

SCHEMA_FILE = CONTEXT_DIR / "ob_v3p0_achievementcredential_schema.json"
SCHEMA = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
_VALIDATOR = Draft201909Validator(SCHEMA, format_checker=Draft201909Validator.FORMAT_CHECKER)


def schema_problems(credential: dict) -> list[str]:
    """What 1EdTech's AchievementCredential schema finds wrong in the credential, each as
    'path: message' (the path '/' for the document itself); empty when it conforms."""
    return sorted(f"/{'/'.join(str(part) for part in error.absolute_path)}: {_message(error)}"
                  for error in _VALIDATOR.iter_errors(credential))


def _message(error, limit: int = 200) -> str:
    """The validator's message; one that quotes a long value (a whole object) quotes it short."""
    if len(error.message) <= limit:
        return error.message
    value = error.instance
    short = "{…}" if isinstance(value, dict) else "[…]" if isinstance(value, list) else repr(value)[:40] + "…"
    return error.message.replace(repr(value), short)
