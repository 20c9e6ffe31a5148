"""Joining instructions (practical_info, joining_notice) and signed sign-in (attendance_signature,
slot_countersignature, which a trigger keeps from ever being updated).

Revision ID: 0020_joining_sign_in
Revises: 0019_assistance_requests
Create Date: 2026-12-06 23:07:46.125923

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0020_joining_sign_in'
down_revision = '0019_assistance_requests'
branch_labels = None
depends_on = None

IMMUTABLE = ('attendance_signature', 'slot_countersignature')


def upgrade():
    op.create_table('practical_info',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('address_fr', sa.Text(), nullable=False),
    sa.Column('address_ar', sa.Text(), nullable=False),
    sa.Column('address_en', sa.Text(), nullable=False),
    sa.Column('map_url', sa.String(length=500), nullable=False),
    sa.Column('arrival_fr', sa.Text(), nullable=False),
    sa.Column('arrival_ar', sa.Text(), nullable=False),
    sa.Column('arrival_en', sa.Text(), nullable=False),
    sa.Column('accommodation_fr', sa.Text(), nullable=False),
    sa.Column('accommodation_ar', sa.Text(), nullable=False),
    sa.Column('accommodation_en', sa.Text(), nullable=False),
    sa.Column('timetable_fr', sa.Text(), nullable=False),
    sa.Column('timetable_ar', sa.Text(), nullable=False),
    sa.Column('timetable_en', sa.Text(), nullable=False),
    sa.Column('conduct_fr', sa.Text(), nullable=False),
    sa.Column('conduct_ar', sa.Text(), nullable=False),
    sa.Column('conduct_en', sa.Text(), nullable=False),
    sa.Column('contacts_fr', sa.Text(), nullable=False),
    sa.Column('contacts_ar', sa.Text(), nullable=False),
    sa.Column('contacts_en', sa.Text(), nullable=False),
    sa.Column('bring_fr', sa.Text(), nullable=False),
    sa.Column('bring_ar', sa.Text(), nullable=False),
    sa.Column('bring_en', sa.Text(), nullable=False),
    sa.Column('reminder_days', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('reminder_days BETWEEN 2 AND 60', name=op.f('ck_practical_info_reminder_days_range')),
    sa.ForeignKeyConstraint(['session_id'], ['training_session.id'], name=op.f('fk_practical_info_session_id_training_session'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_practical_info')),
    sa.UniqueConstraint('session_id', name=op.f('uq_practical_info_session_id'))
    )
    op.create_table('slot_countersignature',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slot_id', sa.Integer(), nullable=False),
    sa.Column('expert_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('image', sa.LargeBinary(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('signed_at', sa.DateTime(), nullable=False),
    sa.Column('client_address', sa.String(length=45), nullable=False),
    sa.Column('signature_ids', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['expert_id'], ['expert.id'], name=op.f('fk_slot_countersignature_expert_id_expert')),
    sa.ForeignKeyConstraint(['slot_id'], ['slot.id'], name=op.f('fk_slot_countersignature_slot_id_slot'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_slot_countersignature_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_slot_countersignature')),
    sa.UniqueConstraint('slot_id', 'expert_id', name='uq_slot_countersignature_slot_expert')
    )
    with op.batch_alter_table('slot_countersignature', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_slot_countersignature_slot_id'), ['slot_id'], unique=False)

    op.create_table('attendance_signature',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('registration_id', sa.Integer(), nullable=False),
    sa.Column('slot_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('image', sa.LargeBinary(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('signed_at', sa.DateTime(), nullable=False),
    sa.Column('client_address', sa.String(length=45), nullable=False),
    sa.Column('mark_status', sa.Enum('present', 'late', 'excused', 'absent', name='mark_status', native_enum=False, create_constraint=True), nullable=False),
    sa.ForeignKeyConstraint(['registration_id'], ['registration.id'], name=op.f('fk_attendance_signature_registration_id_registration'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['slot_id'], ['slot.id'], name=op.f('fk_attendance_signature_slot_id_slot'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_attendance_signature_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attendance_signature')),
    sa.UniqueConstraint('registration_id', 'slot_id', name='uq_attendance_signature_registration_slot')
    )
    with op.batch_alter_table('attendance_signature', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attendance_signature_slot_id'), ['slot_id'], unique=False)

    op.create_table('joining_notice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('registration_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('convocation', 'reminder', 'eve', 'change', name='notice_kind', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('start_on', sa.Date(), nullable=False),
    sa.Column('mail_id', sa.Integer(), nullable=True),
    sa.Column('sent_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['mail_id'], ['outbox_mail.id'], name=op.f('fk_joining_notice_mail_id_outbox_mail'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['registration_id'], ['registration.id'], name=op.f('fk_joining_notice_registration_id_registration'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_joining_notice'))
    )
    with op.batch_alter_table('joining_notice', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_joining_notice_registration_id'), ['registration_id'], unique=False)
        batch_op.create_index('uq_joining_notice_reminder', ['registration_id', 'kind', 'start_on'], unique=True, sqlite_where=sa.text("kind IN ('reminder', 'eve')"), postgresql_where=sa.text("kind IN ('reminder', 'eve')"))

    # Signatures are written once: the database refuses an update, whoever sends it.
    for table in IMMUTABLE:
        if op.get_bind().dialect.name == "postgresql":
            op.execute(f"CREATE TRIGGER {table}_immutable BEFORE UPDATE ON {table} "
                       "FOR EACH ROW EXECUTE FUNCTION centre_refuse_update()"
                       if table != IMMUTABLE[0] else
                       "CREATE FUNCTION centre_refuse_update() RETURNS trigger LANGUAGE plpgsql AS "
                       "$$ BEGIN RAISE EXCEPTION '% rows are written once and never changed', TG_TABLE_NAME; END $$; "
                       f"CREATE TRIGGER {table}_immutable BEFORE UPDATE ON {table} "
                       "FOR EACH ROW EXECUTE FUNCTION centre_refuse_update()")
        else:
            op.execute(f"CREATE TRIGGER {table}_immutable BEFORE UPDATE ON {table} "
                       f"BEGIN SELECT RAISE(ABORT, '{table} rows are written once and never changed'); END")



def downgrade():
    for table in IMMUTABLE:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_immutable" +
                   (f" ON {table}" if op.get_bind().dialect.name == "postgresql" else ""))
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS centre_refuse_update()")
    with op.batch_alter_table('joining_notice', schema=None) as batch_op:
        batch_op.drop_index('uq_joining_notice_reminder', sqlite_where=sa.text("kind IN ('reminder', 'eve')"), postgresql_where=sa.text("kind IN ('reminder', 'eve')"))
        batch_op.drop_index(batch_op.f('ix_joining_notice_registration_id'))

    op.drop_table('joining_notice')
    with op.batch_alter_table('attendance_signature', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attendance_signature_slot_id'))

    op.drop_table('attendance_signature')
    with op.batch_alter_table('slot_countersignature', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_slot_countersignature_slot_id'))

    op.drop_table('slot_countersignature')
    op.drop_table('practical_info')
