"""``economy.services.listing_buy`` as the limit's one statement (``purchase_sql``): every
check, write and event of a purchase, and a last row that tells the handler which refusal
applies when nothing was written. When the API's purchase changes, change it here."""

from __future__ import annotations

from bench.limit.sql_events import events_sql


def purchase_sql() -> str:
    """``listing_buy`` in one statement: lock the visible listing, check buyer, activity,
    ownership and the pinned price and version (the newest), lock both wallets in id order
    (paid listings), and only when the buyer can pay write the licence (a new one, or the
    buyer's refunded one revived; otherwise already owned), debit and credit (each returning
    its balance), the ledger entry, the purchase, the adoption and the adopter count, and the
    ``purchase.completed`` event. The last SELECT tells which refusal applies."""
    return (
        """
WITH l AS MATERIALIZED (
    SELECT l.id, l.prompt_id, l.is_active, l.token_cost_cents, a.id AS seller_id,
           a.owner_id AS seller_owner
      FROM economy_prompttokenlisting l
      JOIN core_prompt p ON p.id = l.prompt_id
      JOIN core_assistant a ON a.id = p.author_id
     WHERE l.id = %(listing)s AND (p.is_public OR a.owner_id = %(user)s OR %(staff)s)
       FOR UPDATE OF l),
b AS MATERIALIZED (SELECT id, owner_id FROM core_assistant WHERE id = %(buyer)s),
v AS MATERIALIZED (
    SELECT id, number, content_hash FROM core_promptversion
     WHERE prompt_id = (SELECT prompt_id FROM l) ORDER BY number DESC LIMIT 1),
ok AS MATERIALIZED (
    SELECT l.*, v.id AS version_id FROM l, b, v
     WHERE (b.owner_id = %(user)s OR %(staff)s) AND l.is_active AND b.owner_id <> l.seller_owner
       AND (%(expected_price)s::bigint IS NULL OR l.token_cost_cents = %(expected_price)s)
       AND (%(expected_version)s::integer IS NULL OR v.number = %(expected_version)s)),
w AS MATERIALIZED (
    SELECT w.id, w.assistant_id, w.balance_cents FROM economy_wallet w
     WHERE w.assistant_id IN (%(buyer)s, (SELECT seller_id FROM ok))
       AND EXISTS (SELECT 1 FROM ok WHERE token_cost_cents > 0)
     ORDER BY w.id FOR UPDATE),
go AS MATERIALIZED (
    SELECT ok.* FROM ok
     WHERE ok.token_cost_cents = 0
        OR (SELECT balance_cents FROM w WHERE assistant_id = %(buyer)s) >= ok.token_cost_cents),
lic AS MATERIALIZED (
    INSERT INTO economy_promptlicence
           (assistant_id, prompt_id, version_id, source, state, created_at)
    SELECT %(buyer)s, prompt_id, version_id, 'purchase', 'active', now() FROM go
    ON CONFLICT (assistant_id, prompt_id) DO UPDATE
       SET state = 'active', version_id = EXCLUDED.version_id, source = 'purchase'
     WHERE economy_promptlicence.state = 'refunded'
    RETURNING id),
paid AS MATERIALIZED (SELECT go.* FROM go WHERE go.token_cost_cents > 0 AND EXISTS (SELECT 1 FROM lic)),
debit AS MATERIALIZED (
    UPDATE economy_wallet SET balance_cents = balance_cents - (SELECT token_cost_cents FROM paid)
     WHERE id = (SELECT id FROM w WHERE assistant_id = %(buyer)s) AND EXISTS (SELECT 1 FROM paid)
    RETURNING balance_cents),
credit AS (
    UPDATE economy_wallet SET balance_cents = balance_cents + (SELECT token_cost_cents FROM paid)
     WHERE id = (SELECT w.id FROM w, paid WHERE w.assistant_id = paid.seller_id)
    RETURNING id),
entry AS MATERIALIZED (
    INSERT INTO economy_ledgerentry (kind, payer_id, payee_id, amount_cents, reference, created_at)
    SELECT 'prompt_purchase', bw.id, sw.id, paid.token_cost_cents, 'listing:' || paid.id, now()
      FROM paid
      JOIN w bw ON bw.assistant_id = %(buyer)s
      JOIN w sw ON sw.assistant_id = paid.seller_id
    RETURNING id),
purchase AS MATERIALIZED (
    INSERT INTO economy_purchase
           (buyer_id, seller_id, listing_id, prompt_id, version_id, price_cents, ledger_entry_id,
            licence_id, state, created_at, refunded_at, refund_entry_id, refund_reason)
    SELECT %(buyer)s, go.seller_id, go.id, go.prompt_id, go.version_id, go.token_cost_cents,
           (SELECT id FROM entry), lic.id, 'completed', now(), NULL, NULL, ''
      FROM go, lic
     WHERE go.token_cost_cents = 0 OR EXISTS (SELECT 1 FROM entry)
    RETURNING id, created_at),
adoption AS (
    INSERT INTO economy_listingadoption (listing_id, assistant_id, kind, created_at)
    SELECT %(listing)s, %(buyer)s, 'purchase', now() FROM purchase
    RETURNING id),
adopters AS (
    UPDATE economy_prompttokenlisting SET adopter_count = adopter_count + 1
     WHERE id = %(listing)s AND EXISTS (SELECT 1 FROM adoption)
    RETURNING id),
sale AS MATERIALIZED (
    SELECT 1 AS ord, 'purchase.completed'::varchar AS type,
           jsonb_build_object(
               'purchase', purchase.id, 'listing', go.id, 'prompt', go.prompt_id,
               'buyer', %(buyer)s::bigint, 'seller', go.seller_id, 'licence', lic.id,
               'price', round(go.token_cost_cents::numeric / 100, 2)::text) AS data,
           ARRAY[(SELECT owner_id FROM b), go.seller_owner] AS users
      FROM purchase, go, lic),"""
        + events_sql("sale")
        + """
SELECT (SELECT COUNT(*) FROM l), (SELECT is_active FROM l), (SELECT seller_owner FROM l),
       (SELECT prompt_id FROM l), (SELECT token_cost_cents FROM l),
       (SELECT owner_id FROM b), (SELECT COUNT(*) FROM go), (SELECT id FROM lic),
       (SELECT id FROM entry), (SELECT balance_cents FROM debit),
       (SELECT balance_cents FROM economy_wallet WHERE assistant_id = %(buyer)s),
       EXISTS (SELECT 1 FROM economy_promptlicence
                WHERE assistant_id = %(buyer)s AND prompt_id = (SELECT prompt_id FROM l)
                  AND state = 'active'),
       (SELECT COUNT(*) FROM credit), (SELECT COUNT(*) FROM adopters),
       (SELECT number FROM v), (SELECT content_hash FROM v), (SELECT seller_id FROM l),
       (SELECT id FROM purchase), (SELECT created_at FROM purchase),
       (SELECT n FROM ev_notified)"""
    )
