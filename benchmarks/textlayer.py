"""What the text layer's hooks (centre/textlayer.py) cost: render times with and without them.

Loads the demo data into a scratch SQLite database, then renders, in this one process, a
bilingual certificate and the Arabic activity report of the demo's years (its figures worked out
once, untimed), through WeasyPrint alone and through the hooks, each first in turn, and prints
the median of each (wall and CPU time) and the PDFs' sizes.

    .venv/bin/python benchmarks/textlayer.py [--runs 15]
"""
import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="renders of each document each way (default 15)")
    args = parser.parse_args()

    import flask_migrate
    import sqlalchemy as sa
    from flask_babel import force_locale
    from weasyprint.draw import text as weasyprint_text
    from weasyprint.pdf import fonts as weasyprint_fonts

    from centre import create_app, textlayer
    from centre.certificates import printing, verification
    from centre.extensions import db
    from centre.models import Certificate, DocumentLanguage, TrainingSession
    from centre.pdf import render_pdf
    from centre.reports import services
    from centre.reports.routes import REPORT_STYLESHEET, activity_report_context
    from centre.seed.demo import seed_demo

    scratch = tempfile.mkdtemp(prefix="centre-bench-")
    if not os.environ.get("CENTRE_SIGNING_KEY"):  # the demo's certificates are signed: a throw-away key
        from centre.signing import DEV_PASSPHRASE, make_dev_key

        os.environ["CENTRE_SIGNING_KEY"] = str(make_dev_key(Path(scratch) / "signing.p12").key_path)
        os.environ["CENTRE_SIGNING_PASSPHRASE"] = DEV_PASSPHRASE
    app = create_app("development", SQLALCHEMY_DATABASE_URI=f"sqlite:///{scratch}/bench.sqlite3", DEBUG=False,
                     PDF_REUSE_BYTES=0, PUBLIC_BASE_URL="https://centre.example.ma")
    with app.app_context():
        flask_migrate.upgrade()
        seed_demo()
        db.session.commit()
        certificate = db.session.scalars(sa.select(Certificate)
                                         .where(Certificate.language == DocumentLanguage.BILINGUAL)).first()
        first, last = db.session.execute(sa.select(sa.func.min(TrainingSession.start_on),
                                                   sa.func.max(TrainingSession.end_on))).one()
        period = services.Period(first.replace(month=1, day=1), last.replace(month=12, day=31))
        with app.test_request_context():
            signatures = printing.signature_images({s["id"] for s in certificate.printed["signatories"]})
            job = printing.RenderJob(certificate.language.value, certificate.printed, certificate.verification_code,
                                     verification.verification_url(certificate.verification_code))

            def bilingual_certificate():
                return printing.render_job(job, signatures)

            with force_locale("ar"):
                context = activity_report_context(period, "ar")

            def activity_report():
                with force_locale("ar"):
                    return render_pdf("pdf/activity_report.html", stylesheet=REPORT_STYLESHEET, **context)

            hooks = (weasyprint_text.draw_first_line, weasyprint_fonts._build_vector_font_dictionary)
            originals = (textlayer._original_draw_first_line, textlayer._original_build_vector_font_dictionary)

            def use(functions):
                weasyprint_text.draw_first_line, weasyprint_fonts._build_vector_font_dictionary = functions

            bilingual_certificate()  # WeasyPrint imported, fonts loaded, hooks installed
            hooks = (weasyprint_text.draw_first_line, weasyprint_fonts._build_vector_font_dictionary)
            assert hooks[0] is textlayer.draw_first_line, "centre.textlayer is not installed"
            print(f"{args.runs} renders each way, alternately, one process; period {period.start} to {period.end}")
            for name, render, runs in (("bilingual certificate", bilingual_certificate, args.runs),
                                       ("Arabic activity report", activity_report, max(3, args.runs // 3))):
                times = {"WeasyPrint alone": [], "with centre.textlayer": []}
                cpu = {"WeasyPrint alone": [], "with centre.textlayer": []}
                sizes = {}
                ways = [("WeasyPrint alone", originals), ("with centre.textlayer", hooks)]
                for run in range(runs):
                    for label, functions in ways if run % 2 else reversed(ways):  # each goes first in turn
                        use(functions)
                        started, started_cpu = time.perf_counter(), time.process_time()
                        sizes[label] = len(render())
                        times[label].append(time.perf_counter() - started)
                        cpu[label].append(time.process_time() - started_cpu)
                use(hooks)
                print(f"{name}, {runs} renders each way: median (fastest) wall time, median CPU time, size")
                for label in times:
                    print(f"  {label:<22} {statistics.median(times[label]) * 1000:7.1f} ms "
                          f"({min(times[label]) * 1000:7.1f} ms)  {statistics.median(cpu[label]) * 1000:7.1f} ms CPU  "
                          f"{sizes[label]} bytes")
                alone, fixed = ([statistics.median(times[label]), min(times[label]), statistics.median(cpu[label])]
                                for label in times)
                print(f"  {'ratio':<22} {fixed[0] / alone[0]:7.3f}    ({fixed[1] / alone[1]:7.3f})  "
                      f"{fixed[2] / alone[2]:7.3f}")


if __name__ == "__main__":
    main()
