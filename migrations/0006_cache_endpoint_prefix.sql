-- Prefix cache endpoints (issue 12, spec/tasks-and-cache.md "Cache endpoints"): an endpoint maps
-- its token either to one cache key (kind 'key', the only kind before) or to a key prefix (kind
-- 'prefix'), which `key` then holds; /cache/{token}/{suffix} reads key_prefix + suffix.
ALTER TABLE cache_endpoints ADD COLUMN kind TEXT NOT NULL DEFAULT 'key' CHECK (kind IN ('key', 'prefix'));
