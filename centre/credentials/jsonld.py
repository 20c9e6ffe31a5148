"""JSON-LD with the contexts bundled in this package: nothing is fetched, ever.

pyld resolves each `@context` URL through a document loader; ours serves the files of
`contexts/` and refuses any other address, so canonicalising a credential never touches the
network and gives the same result offline. pyld also drops, silently, every term a context
does not define — and a proof over what is left still verifies — so `check_round_trip` must
pass before anything is signed.
"""
import json
from pathlib import Path

from pyld import jsonld

CONTEXT_DIR = Path(__file__).resolve().parent / "contexts"

VC_V2 = "https://www.w3.org/ns/credentials/v2"
OB_V3 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
DATA_INTEGRITY_V2 = "https://w3id.org/security/data-integrity/v2"
MULTIKEY_V1 = "https://w3id.org/security/multikey/v1"
DID_V1 = "https://www.w3.org/ns/did/v1"

#: The address of each bundled context and its file (see contexts/SOURCES.md for their origin).
BUNDLED = {
    VC_V2: "credentials-v2.jsonld",
    OB_V3: "ob-v3p0-context-3.0.3.jsonld",
    DATA_INTEGRITY_V2: "data-integrity-v2.jsonld",
    MULTIKEY_V1: "multikey-v1.jsonld",
    DID_V1: "did-v1.jsonld",
}


class ContextRefused(Exception):
    """A document names a context this app does not bundle: it is not loaded from anywhere."""


def _read(name: str) -> dict:
    return json.loads((CONTEXT_DIR / name).read_text(encoding="utf-8"))


_DOCUMENTS = {url: _read(name) for url, name in BUNDLED.items()}


class BundledLoader:
    """A pyld document loader that answers from memory and refuses every other address.

    `extra`: more documents by address (the tests add the W3C examples context of the
    vc-di-eddsa test vector this way)."""

    def __init__(self, extra: dict[str, dict] | None = None):
        self.documents = {**_DOCUMENTS, **(extra or {})}

    def __call__(self, url: str, options=None) -> dict:
        document = self.documents.get(url)
        if document is None:
            raise ContextRefused(f"JSON-LD context not bundled with the app, not fetched: {url}")
        return {"contextUrl": None, "documentUrl": url, "document": document}


LOADER = BundledLoader()


def _refusal(error: BaseException) -> ContextRefused | None:
    """The ContextRefused that pyld wrapped, cause within cause, if that is what failed."""
    seen = 0
    while error is not None and seen < 20:
        if isinstance(error, ContextRefused):
            return error
        error = getattr(error, "cause", None) or error.__cause__ or error.__context__
        seen += 1
    return None


def canonize(document: dict, loader: BundledLoader = LOADER) -> str:
    """RDF Dataset Canonicalization (URDNA2015, as RDFC-1.0) as N-Quads, the input of
    eddsa-rdfc-2022's hash. pyld must be told the algorithm: its default is not it."""
    try:
        return jsonld.normalize(document, {"algorithm": "URDNA2015", "format": "application/n-quads",
                                           "documentLoader": loader})
    except jsonld.JsonLdError as error:
        refused = _refusal(error)
        if refused is not None:
            raise refused from error
        raise


def _as_lists(value):
    """The same value with every scalar or object in a one-element list, lists recursively
    compared in order: compaction writes a one-element array as its element."""
    if isinstance(value, dict):
        return [{key: _as_lists(item) for key, item in value.items()}]
    if isinstance(value, list):
        return [entry for item in value for entry in _as_lists(item)]
    return [value]


#: Where VC 2.0's context sends terms no context defines (its `@vocab`): kept, but meaningless.
ISSUER_DEPENDENT = "https://www.w3.org/ns/credentials/issuer-dependent#"


def dropped_terms(document: dict, loader: BundledLoader = LOADER) -> list[str]:
    """The paths of what an expand/compact round trip loses or changes — terms the contexts do not
    define (pyld drops them without a word), values of the wrong kind — and the terms and types
    that only VC 2.0's catch-all vocabulary defines. Empty when the whole document survives
    with a meaning, which is what a proof over its canonical form covers."""
    expanded = jsonld.expand(document, {"documentLoader": loader})
    compacted = jsonld.compact(expanded, {"@context": document["@context"]}, {"documentLoader": loader})
    compacted.pop("@context", None)
    original = {k: v for k, v in document.items() if k != "@context"}
    return _differences(_as_lists(original), _as_lists(compacted), "") + _issuer_dependent(expanded)


def _issuer_dependent(expanded) -> list[str]:
    found = []
    if isinstance(expanded, list):
        for item in expanded:
            found += _issuer_dependent(item)
    elif isinstance(expanded, dict):
        for key, value in expanded.items():
            if key.startswith(ISSUER_DEPENDENT):
                found.append(key)
            if key == "@type":
                found += [t for t in (value if isinstance(value, list) else [value])
                          if isinstance(t, str) and t.startswith(ISSUER_DEPENDENT)]
            else:
                found += _issuer_dependent(value)
    return found


def _differences(left, right, path: str) -> list[str]:
    if isinstance(left, list) and isinstance(right, list):
        if len(left) != len(right):
            return [path or "/"]
        return [d for index, (a, b) in enumerate(zip(left, right)) for d in _differences(a, b, path)]
    if isinstance(left, dict) and isinstance(right, dict):
        found = []
        for key in left.keys() | right.keys():
            if key not in left or key not in right:
                found.append(f"{path}/{key}")
            else:
                found += _differences(left[key], right[key], f"{path}/{key}")
        return found
    return [] if left == right else [path or "/"]


def check_round_trip(document: dict, loader: BundledLoader = LOADER) -> None:
    lost = dropped_terms(document, loader)
    if lost:
        raise ValueError(f"JSON-LD terms lost in an expand/compact round trip: {sorted(lost)}")
