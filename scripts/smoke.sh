#!/usr/bin/env bash
# Smoke test of any LiteLLM gateway deployment (compose, cluster, native).
# Usage: scripts/smoke.sh URL KEY        e.g. scripts/smoke.sh http://localhost:4000 "$LITELLM_MASTER_KEY"
# Env: SMOKE_MODEL (chat model, default: gpt-4o if served, else the first model),
#      SMOKE_EMBEDDING_MODEL (default: text-embedding if served; skipped with a note otherwise),
#      SMOKE_TIMEOUT (seconds per request, default 60).
# Exits non-zero with one clear line on the first failure.
set -uo pipefail

URL="${1:?usage: smoke.sh URL KEY}"
KEY="${2:?usage: smoke.sh URL KEY}"
URL="${URL%/}"
TIMEOUT="${SMOKE_TIMEOUT:-60}"
PY="$(command -v python3 || command -v python)"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

ok() { printf 'ok    %s\n' "$1"; }
fail() { printf 'FAIL  %s\n' "$1" >&2; exit 1; }

# request NAME METHOD PATH [BODY] [AUTH]; sets STATUS, body in $TMP/NAME
request() {
  local name="$1" method="$2" path="$3" body="${4:-}" auth="${5-Bearer $KEY}"
  local args=(-sS -o "$TMP/$name" -w '%{http_code}' -X "$method" --max-time "$TIMEOUT" "$URL$path")
  [ -n "$auth" ] && args+=(-H "Authorization: $auth")
  [ -n "$body" ] && args+=(-H 'Content-Type: application/json' -d "$body")
  STATUS="$(curl "${args[@]}" 2>"$TMP/$name.err")" || STATUS="000"
}

# json NAME EXPR: evaluate a Python expression over the parsed body `d`; prints the result
json() {
  "$PY" - "$TMP/$1" "$2" <<'PY'
import json, sys
try:
    d = json.load(open(sys.argv[1]))
    print(eval(sys.argv[2]))
except Exception as exc:  # noqa: BLE001
    print(f"<unreadable: {type(exc).__name__}>")
PY
}

request live GET /health/liveliness "" ""
[ "$STATUS" = 200 ] || fail "health: GET /health/liveliness answered $STATUS (want 200) $(head -c 200 "$TMP/live.err" 2>/dev/null)"
ok "health: /health/liveliness 200"

request ready GET /health/readiness "" ""
[ "$STATUS" = 200 ] || fail "health: GET /health/readiness answered $STATUS (want 200): $(head -c 300 "$TMP/ready")"
ok "health: /health/readiness 200"

request models GET /v1/models
[ "$STATUS" = 200 ] || fail "models: GET /v1/models answered $STATUS (want 200): $(head -c 300 "$TMP/models")"
MODELS="$(json models "' '.join(m['id'] for m in d['data'])")"
[ -n "$MODELS" ] && [[ "$MODELS" != "<unreadable"* ]] || fail "models: /v1/models lists no model"
ok "models: $MODELS"

CHAT_MODEL="${SMOKE_MODEL:-}"
if [ -z "$CHAT_MODEL" ]; then
  if [[ " $MODELS " == *" gpt-4o "* ]]; then CHAT_MODEL=gpt-4o; else CHAT_MODEL="${MODELS%% *}"; fi
fi
EMB_MODEL="${SMOKE_EMBEDDING_MODEL:-}"
if [ -z "$EMB_MODEL" ] && [[ " $MODELS " == *" text-embedding "* ]]; then EMB_MODEL=text-embedding; fi

request chat POST /v1/chat/completions "{\"model\": \"$CHAT_MODEL\", \"messages\": [{\"role\": \"user\", \"content\": \"Say hello.\"}]}"
[ "$STATUS" = 200 ] || fail "chat: POST /v1/chat/completions ($CHAT_MODEL) answered $STATUS: $(head -c 300 "$TMP/chat")"
CONTENT="$(json chat "d['choices'][0]['message']['content'] or ''")"
TOKENS="$(json chat "d['usage']['total_tokens']")"
[ -n "$CONTENT" ] && [[ "$CONTENT" != "<unreadable"* ]] || fail "chat: no message content in the answer: $(head -c 300 "$TMP/chat")"
[[ "$TOKENS" =~ ^[0-9]+$ ]] && [ "$TOKENS" -gt 0 ] || fail "chat: no usage.total_tokens in the answer (got '$TOKENS')"
ok "chat: $CHAT_MODEL answered ($TOKENS tokens)"

request stream POST /v1/chat/completions "{\"model\": \"$CHAT_MODEL\", \"stream\": true, \"stream_options\": {\"include_usage\": true}, \"messages\": [{\"role\": \"user\", \"content\": \"Count to three.\"}]}"
[ "$STATUS" = 200 ] || fail "stream: streamed completion answered $STATUS: $(head -c 300 "$TMP/stream")"
grep -q '^data: \[DONE\]' "$TMP/stream" || fail "stream: no 'data: [DONE]' at the end of the event stream"
CHUNKS="$(grep -c '"delta"' "$TMP/stream")"
[ "$CHUNKS" -gt 0 ] || fail "stream: no delta chunks in the event stream"
ok "stream: $CHUNKS chunks, terminated by [DONE]"

if [ -n "$EMB_MODEL" ]; then
  request emb POST /v1/embeddings "{\"model\": \"$EMB_MODEL\", \"input\": \"hello\"}"
  [ "$STATUS" = 200 ] || fail "embedding: POST /v1/embeddings ($EMB_MODEL) answered $STATUS: $(head -c 300 "$TMP/emb")"
  DIM="$(json emb "len(d['data'][0]['embedding'])")"
  [[ "$DIM" =~ ^[0-9]+$ ]] && [ "$DIM" -gt 0 ] || fail "embedding: no vector in the answer"
  ok "embedding: $EMB_MODEL, dimension $DIM"
else
  echo "note  embedding: no embedding model served (set SMOKE_EMBEDDING_MODEL)"
fi

request wrongkey POST /v1/chat/completions "{\"model\": \"$CHAT_MODEL\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}" "Bearer sk-not-the-right-key-0000"
[[ "$STATUS" =~ ^4[0-9][0-9]$ ]] || fail "auth: a wrong key was answered $STATUS (want 4xx)"
ok "auth: wrong key rejected ($STATUS)"

request nokey POST /v1/chat/completions "{\"model\": \"$CHAT_MODEL\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}" ""
[[ "$STATUS" =~ ^4[0-9][0-9]$ ]] || fail "auth: a request without a key was answered $STATUS (want 4xx)"
ok "auth: missing key rejected ($STATUS)"

echo "smoke: all checks passed against $URL"
