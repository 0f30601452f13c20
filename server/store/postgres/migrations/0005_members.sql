-- scim.members: who is a member of what, one row for each resource with
-- "members" (a group) and each distinct member value of it, kept beside
-- the documents so that the server's most frequent read, User.groups on
-- every user read, is a btree look-up (issue 20). Through
-- resources_members_idx (GIN, scim.value_keys) it cost more than the
-- user's own look-up: PostgreSQL's TPS for a userName lookup halved once
-- the groups subquery was added to it.
--
-- A row is (v, the group) exactly when the group's members @> '[{"value":
-- v}]' with v a string, the comparison the server makes (RFC 7643 §3.1,
-- the id case-exactly): members an array, an element of it an object whose
-- "value" is the string v. The store never writes the table: the triggers
-- below keep it, in the statement (and so the transaction) that writes the
-- document, whatever writes it (INSERT, COPY, UPDATE, DELETE); the store
-- never truncates scim.resources.
CREATE TABLE scim.members (
    tenant text   NOT NULL, -- the group's
    rtype  text   NOT NULL, -- the group's
    seq    bigint NOT NULL, -- the group's scim.resources.seq: its row, and the groups' order
    member text   NOT NULL, -- a member value
    PRIMARY KEY (seq, member)
);

-- The groups of a member, in creation order, without reading the groups.
CREATE INDEX members_member_idx ON scim.members (tenant, member, rtype, seq);

-- scim.member_values: the distinct string "value"s of the elements of
-- members that are objects; none when members is not an array. PL/pgSQL
-- keeps the plan of its query for the session; an SQL function returning
-- a set is planned again in every statement that calls it, which made the
-- trigger cost as much as the UPDATE it follows.
CREATE FUNCTION scim.member_values(members jsonb) RETURNS text[]
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
AS $fn$
BEGIN
    IF jsonb_typeof(members) IS DISTINCT FROM 'array' THEN
        RETURN '{}';
    END IF;
    RETURN ARRAY(SELECT DISTINCT e ->> 'value' FROM jsonb_array_elements(members) AS e
                 WHERE jsonb_typeof(e -> 'value') = 'string');
END
$fn$;

-- scim.sync_members brings the rows of the written resource up to date. An
-- update changes only the rows of the values added or removed: adding one
-- member to a group of 10,000 writes one row, not 10,000. The store never
-- changes a row's tenant, type or seq.
CREATE FUNCTION scim.sync_members() RETURNS trigger
LANGUAGE plpgsql
AS $fn$
DECLARE
    old_v text[];
    new_v text[];
BEGIN
    IF TG_OP = 'DELETE' THEN
        DELETE FROM scim.members WHERE seq = OLD.seq;
        RETURN NULL;
    END IF;
    new_v := scim.member_values(NEW.doc -> 'members');
    IF TG_OP = 'INSERT' THEN
        INSERT INTO scim.members (tenant, rtype, seq, member)
        SELECT NEW.tenant, NEW.rtype, NEW.seq, v FROM unnest(new_v) AS v;
        RETURN NULL;
    END IF;
    old_v := scim.member_values(OLD.doc -> 'members');
    DELETE FROM scim.members
    WHERE seq = OLD.seq AND member IN (SELECT unnest(old_v) EXCEPT SELECT unnest(new_v));
    INSERT INTO scim.members (tenant, rtype, seq, member)
    SELECT NEW.tenant, NEW.rtype, NEW.seq, v FROM (SELECT unnest(new_v) EXCEPT SELECT unnest(old_v)) AS d(v);
    RETURN NULL;
END
$fn$;

-- The WHEN clauses keep the triggers off the writes of users (no
-- "members"), bulk loads of 100,000 included.
CREATE TRIGGER resources_members_insert AFTER INSERT ON scim.resources
    FOR EACH ROW WHEN (NEW.doc ? 'members') EXECUTE FUNCTION scim.sync_members();
CREATE TRIGGER resources_members_update AFTER UPDATE ON scim.resources
    FOR EACH ROW WHEN (OLD.doc -> 'members' IS DISTINCT FROM NEW.doc -> 'members') EXECUTE FUNCTION scim.sync_members();
CREATE TRIGGER resources_members_delete AFTER DELETE ON scim.resources
    FOR EACH ROW WHEN (OLD.doc ? 'members') EXECUTE FUNCTION scim.sync_members();

-- The groups stored before this migration.
INSERT INTO scim.members (tenant, rtype, seq, member)
SELECT r.tenant, r.rtype, r.seq, v
FROM scim.resources r, unnest(scim.member_values(r.doc -> 'members')) AS v
WHERE r.doc ? 'members';
ANALYZE scim.members;
