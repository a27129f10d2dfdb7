"""signing: office authorities, officials' keys and certificates, signed notes and orders

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-04

An office that signs has a certificate authority (its private key kept outside the
database); each official has a key pair, the private half encrypted under their signing PIN;
a certificate names one holding of one post.  A note paragraph's signature, an issued
order's signed PDF and its revocation (or supersession) are written once: triggers refuse to change or remove them, as for the
track (migration 0007).
"""

from alembic import op
import sqlalchemy as sa
import workflows.db


revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None

KEPT = ("note_signatures", "signed_orders", "revoked_orders")


def upgrade():
    op.create_table(
        'signing_authorities',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('office_id', sa.Integer(), nullable=False),
        sa.Column('key_id', sa.String(length=16), nullable=False),
        sa.Column('certificate', sa.Text(), nullable=False),
        sa.Column('provider', sa.String(length=16), nullable=False),
        sa.Column('token_module', sa.String(length=300), nullable=True),
        sa.Column('esign_url', sa.String(length=300), nullable=True),
        sa.Column('esign_asp_id', sa.String(length=64), nullable=True),
        sa.Column('esign_certificate', sa.Text(), nullable=True),
        sa.Column('esign_asp_certificate', sa.Text(), nullable=True),
        sa.Column('crl_number', sa.Integer(), nullable=False),
        sa.Column('created_at', workflows.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['office_id'], ['offices.id'],
                                name=op.f('fk_signing_authorities_office_id_offices')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_signing_authorities')),
        sa.UniqueConstraint('office_id', name=op.f('uq_signing_authorities_office_id')),
    )
    op.create_table(
        'signing_keys',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('public_key', sa.Text(), nullable=False),
        sa.Column('sealed_key', sa.LargeBinary(), nullable=False),
        sa.Column('salt', sa.LargeBinary(), nullable=False),
        sa.Column('kdf', sa.String(length=64), nullable=False),
        sa.Column('created_at', workflows.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_signing_keys_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_signing_keys')),
        sa.UniqueConstraint('user_id', name=op.f('uq_signing_keys_user_id')),
    )
    op.create_table(
        'certificates',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('serial', sa.String(length=40), nullable=False),
        sa.Column('office_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('post_id', sa.Integer(), nullable=False),
        sa.Column('holding_id', sa.Integer(), nullable=False),
        sa.Column('pem', sa.Text(), nullable=False),
        sa.Column('not_before', workflows.db.UTCDateTime(), nullable=False),
        sa.Column('not_after', workflows.db.UTCDateTime(), nullable=False),
        sa.Column('revoked_at', workflows.db.UTCDateTime(), nullable=True),
        sa.Column('revocation_reason', sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(['office_id'], ['offices.id'],
                                name=op.f('fk_certificates_office_id_offices')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_certificates_user_id_users')),
        sa.ForeignKeyConstraint(['post_id'], ['posts.id'],
                                name=op.f('fk_certificates_post_id_posts')),
        sa.ForeignKeyConstraint(['holding_id'], ['post_holdings.id'],
                                name=op.f('fk_certificates_holding_id_post_holdings')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_certificates')),
        sa.UniqueConstraint('serial', name=op.f('uq_certificates_serial')),
    )
    for column in ('office_id', 'user_id', 'holding_id'):
        op.create_index(op.f(f'ix_certificates_{column}'), 'certificates', [column])
    op.create_table(
        'note_signatures',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('note_id', sa.Integer(), nullable=False),
        sa.Column('certificate_id', sa.Integer(), nullable=False),
        sa.Column('digest', sa.String(length=64), nullable=False),
        sa.Column('signature', sa.LargeBinary(), nullable=False),
        sa.Column('signed_at', workflows.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['note_id'], ['notes.id'],
                                name=op.f('fk_note_signatures_note_id_notes')),
        sa.ForeignKeyConstraint(['certificate_id'], ['certificates.id'],
                                name=op.f('fk_note_signatures_certificate_id_certificates')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_note_signatures')),
        sa.UniqueConstraint('note_id', name=op.f('uq_note_signatures_note_id')),
    )
    op.create_table(
        'signed_orders',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('draft_id', sa.Integer(), nullable=False),
        sa.Column('short_code', sa.String(length=16), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('certificate_id', sa.Integer(), nullable=False),
        sa.Column('signed_at', workflows.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['draft_id'], ['drafts.id'],
                                name=op.f('fk_signed_orders_draft_id_drafts')),
        sa.ForeignKeyConstraint(['certificate_id'], ['certificates.id'],
                                name=op.f('fk_signed_orders_certificate_id_certificates')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_signed_orders')),
        sa.UniqueConstraint('draft_id', name=op.f('uq_signed_orders_draft_id')),
        sa.UniqueConstraint('short_code', name=op.f('uq_signed_orders_short_code')),
    )
    op.create_index(op.f('ix_signed_orders_sha256'), 'signed_orders', ['sha256'])
    op.create_table(
        'revoked_orders',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('signed_order_id', sa.Integer(), nullable=False),
        sa.Column('superseded_by_id', sa.Integer(), nullable=True),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('at', workflows.db.UTCDateTime(), nullable=False),
        sa.Column('by_user_id', sa.Integer(), nullable=False),
        sa.Column('by_post_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['signed_order_id'], ['signed_orders.id'],
                                name=op.f('fk_revoked_orders_signed_order_id_signed_orders')),
        sa.ForeignKeyConstraint(['superseded_by_id'], ['signed_orders.id'],
                                name=op.f('fk_revoked_orders_superseded_by_id_signed_orders')),
        sa.ForeignKeyConstraint(['by_user_id'], ['users.id'],
                                name=op.f('fk_revoked_orders_by_user_id_users')),
        sa.ForeignKeyConstraint(['by_post_id'], ['posts.id'],
                                name=op.f('fk_revoked_orders_by_post_id_posts')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_revoked_orders')),
        sa.UniqueConstraint('signed_order_id', name=op.f('uq_revoked_orders_signed_order_id')),
    )
    op.create_table(
        'esign_requests',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('txn', sa.String(length=64), nullable=False),
        sa.Column('draft_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('post_id', sa.Integer(), nullable=False),
        sa.Column('issue_number', sa.String(length=64), nullable=False),
        sa.Column('short_code', sa.String(length=16), nullable=False),
        sa.Column('prepared', sa.LargeBinary(), nullable=False),
        sa.Column('digest', sa.String(length=64), nullable=False),
        sa.Column('region_start', sa.Integer(), nullable=False),
        sa.Column('region_end', sa.Integer(), nullable=False),
        sa.Column('supersedes_id', sa.Integer(), nullable=True),
        sa.Column('created_at', workflows.db.UTCDateTime(), nullable=False),
        sa.Column('outcome', sa.String(length=300), nullable=True),
        sa.ForeignKeyConstraint(['draft_id'], ['drafts.id'],
                                name=op.f('fk_esign_requests_draft_id_drafts')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_esign_requests_user_id_users')),
        sa.ForeignKeyConstraint(['post_id'], ['posts.id'],
                                name=op.f('fk_esign_requests_post_id_posts')),
        sa.ForeignKeyConstraint(['supersedes_id'], ['signed_orders.id'],
                                name=op.f('fk_esign_requests_supersedes_id_signed_orders')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_esign_requests')),
        sa.UniqueConstraint('txn', name=op.f('uq_esign_requests_txn')),
    )
    op.create_index(op.f('ix_esign_requests_draft_id'), 'esign_requests', ['draft_id'])
    for table in KEPT:
        _keep(table)


def _keep(table):
    if op.get_bind().dialect.name == "postgresql":
        # sanchika_refuse() is migration 0007's: it raises the refusal naming the table
        op.execute(f"CREATE TRIGGER {table}_keep BEFORE UPDATE OR DELETE ON {table} "
                   "FOR EACH ROW EXECUTE FUNCTION sanchika_refuse()")
        op.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                   "FOR EACH STATEMENT EXECUTE FUNCTION sanchika_refuse()")
        return
    refusal = f"Sanchika keeps the record: rows of {table} are never changed or removed"
    for verb in ("update", "delete"):
        op.execute(f"CREATE TRIGGER {table}_no_{verb} BEFORE {verb.upper()} ON {table} "
                   f"BEGIN SELECT RAISE(ABORT, '{refusal}'); END")


def downgrade():
    for table in KEPT:
        if op.get_bind().dialect.name == "postgresql":
            for name in ("keep", "no_truncate"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_{name} ON {table}")
        else:
            for verb in ("update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{verb}")
    op.drop_index(op.f('ix_esign_requests_draft_id'), table_name='esign_requests')
    op.drop_table('esign_requests')
    op.drop_table('revoked_orders')
    op.drop_index(op.f('ix_signed_orders_sha256'), table_name='signed_orders')
    op.drop_table('signed_orders')
    op.drop_table('note_signatures')
    for column in ('office_id', 'user_id', 'holding_id'):
        op.drop_index(op.f(f'ix_certificates_{column}'), table_name='certificates')
    op.drop_table('certificates')
    op.drop_table('signing_keys')
    op.drop_table('signing_authorities')
