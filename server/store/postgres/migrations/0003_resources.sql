-- One table holds every resource of every tenant and type. The document is
-- kept whole as jsonb, "id" and "meta" included, so that what a filter sees
-- is what a client reads; the columns beside it are what the store itself
-- needs: the creation sequence (the stable order of lists and the tiebreak
-- of every sort), the version behind meta.version, and the times behind
-- meta.created and meta.lastModified.
CREATE TABLE scim.resources (
    seq      bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant   text        NOT NULL,
    rtype    text        NOT NULL,
    id       text        NOT NULL,
    version  bigint      NOT NULL,
    created  timestamptz NOT NULL,
    modified timestamptz NOT NULL,
    doc      jsonb       NOT NULL
);

-- Get, Update and Delete by id, and `id eq "..."` filters.
CREATE UNIQUE INDEX resources_id_key ON scim.resources (tenant, rtype, id);

-- Unfiltered lists, in creation order, one page at a time.
CREATE INDEX resources_order_idx ON scim.resources (tenant, rtype, seq);

-- Uniqueness "server" (RFC 7643 §7) per tenant, case-insensitively as the
-- memory store checks it; `userName eq` and Group `displayName eq` filters
-- use the same indexes.
CREATE UNIQUE INDEX resources_user_username_key
    ON scim.resources (tenant, scim.fold_key(doc ->> 'userName')) WHERE rtype = 'User';
CREATE UNIQUE INDEX resources_group_displayname_key
    ON scim.resources (tenant, scim.fold_key(doc ->> 'displayName')) WHERE rtype = 'Group';

-- `externalId eq` (caseExact), the IdPs' way of finding what they created.
CREATE INDEX resources_externalid_idx ON scim.resources (tenant, rtype, (doc ->> 'externalId'));

-- `emails.value eq` (IdPs match users by email) and `members.value eq`
-- (User.groups on every user read; removing a deleted resource from groups).
-- fastupdate is off: with it, new entries wait in a pending list that every
-- lookup scans in full until a vacuum merges it, which makes lookups right
-- after a wave of provisioning slow, and makes the planner (rightly) avoid
-- the index then; lookups matter more here than insert speed.
CREATE INDEX resources_emails_idx ON scim.resources
    USING gin (scim.value_keys(doc -> 'emails') jsonb_path_ops) WITH (fastupdate = off);
CREATE INDEX resources_members_idx ON scim.resources
    USING gin (scim.value_keys(doc -> 'members') jsonb_path_ops) WITH (fastupdate = off);
