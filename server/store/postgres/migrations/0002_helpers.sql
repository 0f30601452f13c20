-- Helpers that the SQL the store generates for filters and sorting is made
-- of. Each mirrors one rule of the Go filter evaluator (server/filter) or of
-- the memory store's sorter, for the canonical documents the store holds,
-- and none of them can raise an error on any jsonb or text input: a filter
-- must never make a query fail because of what some stored document holds.

-- scim.elems: the values of a multi-valued attribute, one row each; a lone
-- value counts as one element and an absent one as none, as the evaluator
-- reads them.
CREATE FUNCTION scim.elems(j jsonb) RETURNS SETOF jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $fn$
SELECT jsonb_array_elements(CASE WHEN j IS NULL THEN '[]'::jsonb
                                 WHEN jsonb_typeof(j) = 'array' THEN j
                                 ELSE jsonb_build_array(j) END)
$fn$;

-- scim.present: the "pr" test of one value (RFC 7644 §3.4.2.2): not null,
-- not "", not [] and not {}.
CREATE FUNCTION scim.present(j jsonb) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $fn$
SELECT CASE jsonb_typeof(j)
       WHEN 'string' THEN j <> '""'::jsonb
       WHEN 'array' THEN j <> '[]'::jsonb
       WHEN 'object' THEN j <> '{}'::jsonb
       WHEN 'number' THEN true
       WHEN 'boolean' THEN true
       ELSE false END
$fn$;

-- scim.bool: a boolean value, or a string "true"/"false" in any case (the
-- evaluator's tolerance for Entra's roles[primary eq "True"]); NULL for
-- anything else.
CREATE FUNCTION scim.bool(j jsonb) RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $fn$
SELECT CASE jsonb_typeof(j)
       WHEN 'boolean' THEN j::boolean
       WHEN 'string' THEN CASE scim.fold(j #>> '{}') WHEN 'true' THEN true WHEN 'false' THEN false END
       END
$fn$;

-- scim.num: a JSON number as numeric (exact), NULL for anything else.
CREATE FUNCTION scim.num(j jsonb) RETURNS numeric
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $fn$
SELECT CASE WHEN jsonb_typeof(j) = 'number' THEN j::numeric END
$fn$;

-- scim.time: an xsd:dateTime as nanoseconds since 1970-01-01T00:00:00Z, or
-- NULL when Go's schema.ParseTime would refuse the text. It accepts exactly
-- what Go's time.Parse accepts for RFC3339Nano and for the zone-less
-- "2006-01-02T15:04:05.999999999" (a one-digit hour, ',' as the decimal
-- separator, any number of fractional digits of which the first nine count,
-- offsets up to 24:60), and computes the instant with integer arithmetic, so
-- that no value can make a cast raise an error (year 0000, February 30th),
-- and nanoseconds are kept, where timestamptz would round to microseconds.
CREATE FUNCTION scim.time(s text) RETURNS numeric
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
AS $fn$
DECLARE
    m text[];
    y int; mo int; d int; dim int; hh int; mi int; ss int;
    oh int; om int; off int := 0;
    yy int; era int; yoe int; doy int; doe int; days bigint;
BEGIN
    m := regexp_match(s, '^([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{1,2}):([0-9]{2}):([0-9]{2})(?:[.,]([0-9]+))?(Z|[+-][0-9]{2}:[0-9]{2})?$');
    IF m IS NULL THEN
        RETURN NULL;
    END IF;
    y := m[1]::int; mo := m[2]::int; d := m[3]::int;
    hh := m[4]::int; mi := m[5]::int; ss := m[6]::int;
    IF mo < 1 OR mo > 12 OR d < 1 OR hh > 23 OR mi > 59 OR ss > 59 THEN
        RETURN NULL;
    END IF;
    dim := CASE WHEN mo = 2 THEN CASE WHEN y % 4 = 0 AND (y % 100 <> 0 OR y % 400 = 0) THEN 29 ELSE 28 END
                WHEN mo IN (4, 6, 9, 11) THEN 30
                ELSE 31 END;
    IF d > dim THEN
        RETURN NULL;
    END IF;
    IF m[8] IS NOT NULL AND m[8] <> 'Z' THEN
        oh := substr(m[8], 2, 2)::int;
        om := substr(m[8], 5, 2)::int;
        IF oh > 24 OR om > 60 THEN
            RETURN NULL;
        END IF;
        off := (oh * 60 + om) * 60;
        IF left(m[8], 1) = '-' THEN
            off := -off;
        END IF;
    END IF;
    -- Days since 1970-01-01 of the proleptic Gregorian date (H. Hinnant's
    -- days_from_civil).
    yy := CASE WHEN mo <= 2 THEN y - 1 ELSE y END;
    era := (CASE WHEN yy >= 0 THEN yy ELSE yy - 399 END) / 400;
    yoe := yy - era * 400;
    doy := (153 * (mo + CASE WHEN mo > 2 THEN -3 ELSE 9 END) + 2) / 5 + d - 1;
    doe := yoe * 365 + yoe / 4 - yoe / 100 + doy;
    days := era::bigint * 146097 + doe - 719468;
    RETURN (days * 86400 + hh * 3600 + mi * 60 + ss - off)::numeric * 1000000000
         + rpad(left(coalesce(m[7], ''), 9), 9, '0')::bigint;
END
$fn$;

-- scim.value_keys: the folded string "value"s of a multi-valued complex
-- attribute (emails, members), as a jsonb array. A GIN index on it answers
-- `emails.value eq "x"` and `members.value eq "<id>"` (the server asks the
-- latter on every user read, to derive User.groups) with
-- value_keys(...) @> '["fold(x)"]', which is exact, not merely a superset:
-- lax jsonpath takes a lone object as a one-element array and the elements
-- of a "value" that is an array one by one, as the evaluator does. Folding
-- the array's JSON text folds every string in it and nothing else that
-- matters (escapes stay escapes). A plain SQL expression, so that the
-- planner inlines it: an aggregate over jsonb_array_elements costs some
-- 150µs a call, this 3µs, and every insert computes it twice.
CREATE FUNCTION scim.value_keys(j jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $fn$
SELECT scim.fold(jsonb_path_query_array(j, '$[*].value ? (@.type() == "string")')::text)::jsonb
$fn$;

-- scim.primary_or_first: the value of a multi-valued attribute that sortBy
-- orders by (RFC 7644 §3.4.2.3): the element with "primary": true, else
-- the first; a value that is not an array is itself.
CREATE FUNCTION scim.primary_or_first(j jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $fn$
SELECT CASE WHEN jsonb_typeof(j) = 'array' THEN
    (SELECT p.v FROM jsonb_array_elements(j) WITH ORDINALITY AS p(v, n)
     ORDER BY coalesce(p.v -> 'primary' = 'true'::jsonb, false) DESC, p.n
     LIMIT 1)
  ELSE j END
$fn$;
