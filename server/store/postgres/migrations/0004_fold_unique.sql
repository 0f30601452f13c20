-- Uniqueness and lookups use one comparison (issue 14): scim.fold, which
-- equates exactly what Go's strings.EqualFold equates, as `eq` filters do.
-- The unique indexes of 0003 compared scim.fold_key, which also put "İ"
-- (U+0130) with "i": creating "İ..." met a 409 for a user that no
-- `userName eq "İ..."` lookup found. fold is finer than fold_key, so the
-- values 0003's indexes kept unique are unique under fold too, and the new
-- indexes build on any database 0003 accepted.

DROP INDEX scim.resources_user_username_key;
CREATE UNIQUE INDEX resources_user_username_key
    ON scim.resources (tenant, scim.fold(doc ->> 'userName')) WHERE rtype = 'User';

DROP INDEX scim.resources_group_displayname_key;
CREATE UNIQUE INDEX resources_group_displayname_key
    ON scim.resources (tenant, scim.fold(doc ->> 'displayName')) WHERE rtype = 'Group';

-- Nothing compares fold_key any more (sortBy uses scim.fold too).
DROP FUNCTION scim.fold_key(text);
DROP FUNCTION scim.fold_key_map(text);
