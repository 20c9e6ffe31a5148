"""What signing adds to a certificate: the app's signer against pyHanko's stock one.

Renders one bilingual certificate (not timed), then signs it again and again with
  - the app's signer (centre/signing.py: key parsed once, room for the signature given),
  - pyHanko's stock SimpleSigner loaded once (it parses the key at every signature, and
    sizes the signature with a dry run when not told),
and prints the median time per document and the sizes.

    .venv/bin/python benchmarks/signing.py [--n 40]

Uses a throw-away key (RSA 3072); reads no database.
"""
import argparse
import io
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def median_ms(action, n: int) -> float:
    times = []
    for _ in range(n):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=40, help="signatures per variant (default 40)")
    args = parser.parse_args()

    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    from centre import create_app
    from centre.certificates.printing import SEAL_BOXES, RenderJob, render_unsigned
    from centre.models import DocumentLanguage
    from centre.signing import DEV_PASSPHRASE, FIELD_NAME, make_dev_key, sign_pdf, signing_identity, stamp_style

    scratch = Path(tempfile.mkdtemp(prefix="centre-bench-signing-"))
    key = make_dev_key(scratch / "signing.p12")
    app = create_app("development", SQLALCHEMY_DATABASE_URI=f"sqlite:///{scratch}/unused.sqlite3", DEBUG=False,
                     SIGNING_KEY=str(key.key_path), SIGNING_PASSPHRASE=DEV_PASSPHRASE)
    printed = {"number": "CIFEM-2026-0001", "given_name": "Aminata", "family_name": "Diallo",
               "full_name_ar": "أميناتا ديالو", "gender": "female", "institution_fr": "Médiateur du Sénégal",
               "institution_ar": "وسيط الجمهورية السنغالية", "country": "SN", "session_code": "S1",
               "title_fr": "Gestion des plaintes", "title_ar": "تدبير الشكايات", "venue_fr": "Rabat",
               "venue_ar": "الرباط", "start_on": "2026-03-02", "end_on": "2026-03-06", "issued_on": "2026-03-09",
               "signatories": []}
    job = RenderJob("bilingual", printed, "ABCD-EFGH-IJKL-MNOP-QRST-UVWX", "https://centre.example.ma/verify/x")
    box = SEAL_BOXES[DocumentLanguage.BILINGUAL]
    with app.app_context(), app.test_request_context():
        pdf = render_unsigned(job, {})
        render_ms = median_ms(lambda: render_unsigned(job, {}), max(5, args.n // 4))

        started = time.perf_counter()
        signing_identity()
        load_ms = (time.perf_counter() - started) * 1000
        signed = sign_pdf(pdf, box, ("fr", "ar"))
        ours = median_ms(lambda: sign_pdf(pdf, box, ("fr", "ar")), args.n)

        stock_signer = signers.SimpleSigner.load_pkcs12(str(key.key_path), passphrase=DEV_PASSPHRASE.encode())
        meta = signers.PdfSignatureMetadata(field_name=FIELD_NAME, certify=True,
                                            docmdp_permissions=fields.MDPPerm.NO_CHANGES,
                                            subfilter=fields.SigSeedSubFilter.PADES, md_algorithm="sha256")

        def stock():
            out = io.BytesIO()
            signers.PdfSigner(meta, stock_signer, stamp_style=stamp_style(("fr", "ar"), "x"),
                              new_field_spec=fields.SigFieldSpec(FIELD_NAME, on_page=0, box=box)).sign_pdf(
                IncrementalPdfFileWriter(io.BytesIO(pdf)), output=out)
            return out.getvalue()

        stock_ms = median_ms(stock, max(5, args.n // 4))

    print(f"one bilingual certificate: {len(pdf) / 1024:.0f} KB unsigned, {len(signed) / 1024:.0f} KB signed (B-B)")
    print(f"{'render (WeasyPrint, unsigned)':<48} {render_ms:7.1f} ms")
    print(f"{'load the key (once per process)':<48} {load_ms:7.1f} ms")
    print(f"{'sign, app signer (parsed key, room given)':<48} {ours:7.1f} ms")
    print(f"{'sign, pyHanko stock SimpleSigner, dry run':<48} {stock_ms:7.1f} ms")
    print(f"signing adds {ours / render_ms:.0%} to a single certificate's render; stock would add {stock_ms / render_ms:.0%}")


if __name__ == "__main__":
    main()
