"""flask commands: create-user, seed-demo."""
import click
from flask.cli import with_appcontext

from centre.auth.services import create_user
from centre.errors import DomainError
from centre.extensions import db
from centre.models import Role


@click.command("create-user")
@click.argument("email")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--name", "full_name", default="", help="Full name shown in the interface.")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="Asked for when not given.")
@with_appcontext
def create_user_command(email, role, full_name, password):
    """Create an account with the given role."""
    try:
        user = create_user(email, password, Role(role), full_name=full_name)
    except DomainError as error:
        raise click.ClickException(str(error)) from error
    db.session.commit()
    click.echo(f"Created {user.email} ({user.role.value}).")


def register_commands(app):
    app.cli.add_command(create_user_command)
