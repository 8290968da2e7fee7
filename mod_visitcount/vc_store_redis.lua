#!lua
-- mod_visitcount's server-side script for the Redis store (Redis 7, run
-- by EVALSHA).  Each call does one whole change atomically: Redis runs a
-- script alone, and this one checks everything it must before it writes
-- anything, because Redis does not roll back a script that fails halfway.
-- The shebang line makes Redis refuse the script outright, before it
-- runs, on a read-only replica (READONLY) and above maxmemory (OOM), so a
-- refused call has changed nothing.
--
-- Counts are unsigned 64-bit integers kept as decimal strings: Lua's
-- numbers are doubles, exact only to 2^53, so counts are never turned
-- into numbers here; incr() adds one digit by digit.  Times, days and
-- limits are small enough to be numbers.
--
-- Key names (P is VisitCountRedisPrefix, K the counter's key; the braces
-- are a Cluster hash tag, so all of one key's records share a slot):
--   P{K}          hash: count, unique, and "d:DAY" -> "COUNT UNIQUE"
--   P{K}:s:DAY    hash: visitor id -> time of its last counted hit, for
--                 one UTC day; expires when the day's secret does
--   Pkeys         sorted set of every key (score 0, so in byte order)
--
-- ARGV[1] names the call:
--   hit  KEYS: P{K}, P{K}:s:DAY, P{K}:s:DAY-1, Pkeys
--        ARGV: key, now, day, dedupe, id, id_before, unique, history,
--              max_keys, seen_ttl    (id, id_before: "" when none)
--        returns {"c" or "d", count, unique}: counted, or a duplicate
--   set  KEYS: P{K}, Pkeys   ARGV: key, count, unique, max_keys
--   del  KEYS: P{K}, Pkeys   ARGV: key; returns 1 if it existed, else 0
--   trim KEYS: P{K}          ARGV: first day to keep; returns buckets
--                            removed
--   load KEYS: P{K1} .. P{Kn}, Pkeys
--        ARGV: mode (set, add or max), max_keys, first day to keep, then
--              per record: key, count, unique, ndays, first_day and ndays
--              pairs of day count, day unique
--        returns {"ok"}, or {"e", "maxed" or "keysfull", i} (record i,
--        from 0, at fault; nothing written)
-- Errors: "VCMAXED" (the count is at 2^64-1), "VCKEYSFULL" (max_keys).

local MAX = '18446744073709551615'

-- s + 1 for a decimal string s below MAX: through a number while that is
-- exact (below 2^53; 15 digits are), digit by digit beyond.
local function incr(s)
  if #s < 16 then return string.format('%d', tonumber(s) + 1) end
  local digits = { string.byte(s, 1, -1) }
  local i = #digits
  while i > 0 do
    if digits[i] < 57 then
      digits[i] = digits[i] + 1
      return string.char(unpack(digits))
    end
    digits[i] = 48
    i = i - 1
  end
  return '1' .. string.char(unpack(digits))
end

-- s + 1, staying at MAX.
local function incr_max(s)
  if s == MAX then return s end
  return incr(s)
end

-- Removes the "d:DAY" fields of counts before day first; returns how many.
local function trim(counts, first)
  local removed = 0
  for _, f in ipairs(redis.call('HKEYS', counts)) do
    if string.sub(f, 1, 2) == 'd:' and tonumber(string.sub(f, 3)) < first then
      redis.call('HDEL', counts, f)
      removed = removed + 1
    end
  end
  return removed
end

-- Whether the visitor's hit at time now repeats a visit counted at the
-- time last (a string or false) less than dedupe seconds before.
local function repeats(last, now, dedupe)
  if not last or dedupe == 0 then return false end
  last = tonumber(last)
  return last <= now and now - last < dedupe
end

local function hit()
  local counts, seen, seen_before, index = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
  local key, now, day = ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
  local dedupe, id, id_before = tonumber(ARGV[5]), ARGV[6], ARGV[7]
  local unique_on, history = ARGV[8] == '1', tonumber(ARGV[9])
  local max_keys, seen_ttl = tonumber(ARGV[10]), tonumber(ARGV[11])

  -- Checks: nothing is written before all of them pass.
  local total = redis.call('HMGET', counts, 'count', 'unique')
  local count, unique = total[1], total[2] or '0'
  if not count then
    if redis.call('ZCARD', index) >= max_keys then
      return redis.error_reply('VCKEYSFULL the store holds VisitCountMaxKeys keys')
    end
    count = '0'
  elseif count == MAX then
    return redis.error_reply('VCMAXED the count is at its 64-bit maximum')
  end
  local remember, first_today = false, false
  if id ~= '' then
    local last = redis.call('HGET', seen, id)
    if repeats(last, now, dedupe) then
      return { 'd', count, unique }
    end
    if not last then
      -- A visit that began yesterday may still be running.
      if dedupe > 0 and id_before ~= '' and now - dedupe < day * 86400
         and repeats(redis.call('HGET', seen_before, id_before), now, dedupe) then
        return { 'd', count, unique }
      end
      first_today = true
    end
    remember = first_today or dedupe > 0
  end

  -- Writes.
  local new_unique = first_today and unique_on
  count = incr(count)
  if new_unique then unique = incr_max(unique) end
  local field = 'd:' .. ARGV[4]
  local bucket = redis.call('HGET', counts, field)
  local bc, bu = '0', '0'
  if bucket then bc, bu = string.match(bucket, '^(%d+) (%d+)$') end
  bc = incr_max(bc)
  if new_unique then bu = incr_max(bu) end
  if remember then
    redis.call('HSET', seen, id, ARGV[3])
    -- Once per day's hash: NX leaves a set expiry alone, and writes
    -- nothing to the append-only file.
    redis.call('EXPIRE', seen, seen_ttl, 'NX')
  end
  redis.call('HSET', counts, 'count', count, 'unique', unique,
             field, bc .. ' ' .. bu)
  if count == '1' or not total[1] then
    redis.call('ZADD', index, 0, key)
  end
  -- A new bucket is the moment to drop those that fell out of the history.
  if not bucket then trim(counts, day - history + 1) end
  return { 'c', count, unique }
end

local function set()
  local counts, index = KEYS[1], KEYS[2]
  if redis.call('EXISTS', counts) == 0
     and redis.call('ZCARD', index) >= tonumber(ARGV[5]) then
    return redis.error_reply('VCKEYSFULL the store holds VisitCountMaxKeys keys')
  end
  redis.call('HSET', counts, 'count', ARGV[3], 'unique', ARGV[4])
  redis.call('ZADD', index, 0, ARGV[2])
  return 1
end

local function del()
  local existed = redis.call('DEL', KEYS[1])
  redis.call('ZREM', KEYS[2], ARGV[2])
  return existed
end

-- a + b, decimal strings; nil past MAX.
local function add(a, b)
  if #a < 16 and #b < 16 then
    return string.format('%d', tonumber(a) + tonumber(b))
  end
  local r, carry, i, j = {}, 0, #a, #b
  while i > 0 or j > 0 or carry > 0 do
    local d = carry
    if i > 0 then d = d + string.byte(a, i) - 48; i = i - 1 end
    if j > 0 then d = d + string.byte(b, j) - 48; j = j - 1 end
    carry = d >= 10 and 1 or 0
    table.insert(r, 1, string.char(48 + d % 10))
  end
  local s = table.concat(r)
  if #s > #MAX or (#s == #MAX and s > MAX) then return nil end
  return s
end

-- The larger of two decimal strings without leading zeros.
local function larger(a, b)
  if #a ~= #b then return #a > #b and a or b end
  return a >= b and a or b
end

-- old combined with new as mode says; nil when a sum would pass MAX.
local function merge(mode, old, new)
  if mode == 'set' then return new end
  if mode == 'add' then return add(old, new) end
  return larger(old, new)
end

-- A batch of records, from the admin tool: every check first (nothing is
-- written unless all pass), then the writes.
local function load()
  local mode, max_keys, keep = ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
  local index = KEYS[#KEYS]
  local room = max_keys - redis.call('ZCARD', index)
  local plan, a = {}, 5
  for i = 1, #KEYS - 1 do
    local key, first = ARGV[a], tonumber(ARGV[a + 4])
    local nd = tonumber(ARGV[a + 3])
    local old = redis.call('HMGET', KEYS[i], 'count', 'unique')
    if not old[1] then
      room = room - 1
      if room < 0 then return { 'e', 'keysfull', i - 1 } end
    end
    local rec = { key = key, fields = {} }
    rec.count = merge(mode, old[1] or '0', ARGV[a + 1])
    rec.unique = merge(mode, old[2] or '0', ARGV[a + 2])
    if not rec.count or not rec.unique then return { 'e', 'maxed', i - 1 } end
    a = a + 5
    for d = 0, nd - 1 do
      local bc, bu, day = ARGV[a], ARGV[a + 1], first + d
      a = a + 2
      if day >= keep and (bc ~= '0' or bu ~= '0') then
        local f = 'd:' .. string.format('%d', day)
        local oc, ou = '0', '0'
        if mode ~= 'set' then
          local b = redis.call('HGET', KEYS[i], f)
          if b then oc, ou = string.match(b, '^(%d+) (%d+)$') end
        end
        local nc, nu = merge(mode, oc or '0', bc), merge(mode, ou or '0', bu)
        if not nc or not nu then return { 'e', 'maxed', i - 1 } end
        table.insert(rec.fields, f)
        table.insert(rec.fields, nc .. ' ' .. nu)
      end
    end
    plan[i] = rec
  end
  for i, rec in ipairs(plan) do
    if mode == 'set' then redis.call('DEL', KEYS[i]) end
    redis.call('HSET', KEYS[i], 'count', rec.count, 'unique', rec.unique,
               unpack(rec.fields))
    redis.call('ZADD', index, 0, rec.key)
    trim(KEYS[i], keep)
  end
  return { 'ok' }
end

local calls = { hit = hit, load = load, set = set, del = del,
                trim = function() return trim(KEYS[1], tonumber(ARGV[2])) end }
return calls[ARGV[1]]()
