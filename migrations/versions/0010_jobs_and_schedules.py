"""Background work: a row per job (kind, who, what, status, progress, attempts, heartbeat) and a
row per schedule (last and next run, the minute its last run was due at).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 17:06:36

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('schedule_run',
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('slot', sa.DateTime(), nullable=True),
    sa.Column('last_started_at', sa.DateTime(), nullable=True),
    sa.Column('last_finished_at', sa.DateTime(), nullable=True),
    sa.Column('last_ok', sa.Boolean(), nullable=True),
    sa.Column('last_count', sa.Integer(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('next_run_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_schedule_run'))
    )
    op.create_table('job',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=60), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('entity', sa.String(length=40), nullable=True),
    sa.Column('entity_id', sa.Integer(), nullable=True),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('status', sa.Enum('queued', 'running', 'done', 'failed', 'cancelled', name='job_status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('progress_done', sa.Integer(), nullable=False),
    sa.Column('progress_total', sa.Integer(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('max_attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('result', sa.JSON(), nullable=True),
    sa.Column('heartbeat_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=True),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint('attempts >= 0', name=op.f('ck_job_attempts_not_negative')),
    sa.CheckConstraint('progress_done >= 0', name=op.f('ck_job_progress_done_not_negative')),
    sa.ForeignKeyConstraint(['actor_id'], ['user.id'], name=op.f('fk_job_actor_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job'))
    )
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.create_index('ix_job_created_at', ['created_at'], unique=False)
        batch_op.create_index('ix_job_entity', ['entity', 'entity_id'], unique=False)
        batch_op.create_index('ix_job_status_heartbeat_at', ['status', 'heartbeat_at'], unique=False)


def downgrade():
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.drop_index('ix_job_status_heartbeat_at')
        batch_op.drop_index('ix_job_entity')
        batch_op.drop_index('ix_job_created_at')

    op.drop_table('job')
    op.drop_table('schedule_run')
