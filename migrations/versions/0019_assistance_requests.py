"""Technical-assistance requests of partner institutions (immersion at the centre, expert mission to
the partner): the request and its life, its messages back and forth, and its documents; and the
experts' working languages, which matching an expert to a request reads.

Revision ID: 0019_assistance_requests
Revises: 0018_agreement_document
Create Date: 2026-12-06 23:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0019_assistance_requests'
down_revision = '0018_agreement_document'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('expert', schema=None) as batch_op:
        batch_op.add_column(sa.Column('languages', sa.String(length=20), nullable=False, server_default=''))
    op.create_table('assistance_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('institution_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('immersion', 'expert_mission', name='assistance_kind', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('objectives', sa.Text(), nullable=False),
    sa.Column('expertise_wanted', sa.Text(), nullable=False),
    sa.Column('staff_count', sa.Integer(), nullable=True),
    sa.Column('staff_profile', sa.Text(), nullable=False),
    sa.Column('preferred_from', sa.Date(), nullable=False),
    sa.Column('preferred_to', sa.Date(), nullable=False),
    sa.Column('languages', sa.String(length=20), nullable=False),
    sa.Column('status', sa.Enum('submitted', 'under_study', 'accepted', 'declined', 'planned', 'delivered', 'closed', name='assistance_status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('submitted_at', sa.DateTime(), nullable=False),
    sa.Column('submitted_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('decision_reason', sa.Text(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=True),
    sa.Column('host_departments', sa.Text(), nullable=False),
    sa.Column('delivered_at', sa.DateTime(), nullable=True),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.Column('report', sa.Text(), nullable=False),
    sa.CheckConstraint('preferred_to >= preferred_from', name=op.f('ck_assistance_request_period_in_order')),
    sa.CheckConstraint('staff_count IS NULL OR staff_count > 0', name=op.f('ck_assistance_request_staff_positive')),
    sa.ForeignKeyConstraint(['institution_id'], ['institution.id'], name=op.f('fk_assistance_request_institution_id_institution')),
    sa.ForeignKeyConstraint(['session_id'], ['training_session.id'], name=op.f('fk_assistance_request_session_id_training_session')),
    sa.ForeignKeyConstraint(['submitted_by_id'], ['user.id'], name=op.f('fk_assistance_request_submitted_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assistance_request')),
    sa.UniqueConstraint('session_id', name=op.f('uq_assistance_request_session_id'))
    )
    with op.batch_alter_table('assistance_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assistance_request_institution_id'), ['institution_id'], unique=False)

    op.create_table('assistance_document',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('file_id', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.String(length=10), nullable=False),
    sa.CheckConstraint("purpose IN ('request', 'report')", name=op.f('ck_assistance_document_purpose_known')),
    sa.ForeignKeyConstraint(['file_id'], ['stored_file.id'], name=op.f('fk_assistance_document_file_id_stored_file')),
    sa.ForeignKeyConstraint(['request_id'], ['assistance_request.id'], name=op.f('fk_assistance_document_request_id_assistance_request'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assistance_document'))
    )
    with op.batch_alter_table('assistance_document', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assistance_document_request_id'), ['request_id'], unique=False)

    op.create_table('assistance_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['user.id'], name=op.f('fk_assistance_message_author_id_user')),
    sa.ForeignKeyConstraint(['request_id'], ['assistance_request.id'], name=op.f('fk_assistance_message_request_id_assistance_request'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assistance_message'))
    )
    with op.batch_alter_table('assistance_message', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assistance_message_request_id'), ['request_id'], unique=False)


def downgrade():
    with op.batch_alter_table('expert', schema=None) as batch_op:
        batch_op.drop_column('languages')
    with op.batch_alter_table('assistance_message', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assistance_message_request_id'))

    op.drop_table('assistance_message')
    with op.batch_alter_table('assistance_document', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assistance_document_request_id'))

    op.drop_table('assistance_document')
    with op.batch_alter_table('assistance_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assistance_request_institution_id'))

    op.drop_table('assistance_request')
