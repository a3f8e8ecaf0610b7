"""A small fake LLM provider that speaks the APIs coding agents use, records requests and injects faults.

Run as a script (`python fake_provider/fake_provider.py --port N`); the APIs live in the package
`fakeapi/` beside it. Every API answers "Fake answer from <model>." and token usage (4 characters a token).

Endpoints (each also without the /v1 prefix where LiteLLM may call it so):
  POST /v1/chat/completions            OpenAI chat: JSON, or SSE chunks with usage and [DONE]
  POST /v1/embeddings                  OpenAI embeddings (16 numbers from the input's hash)
  GET  /v1/models                      the fake's model names
  POST /v1/responses                   OpenAI Responses: output items (reasoning, message or function_call),
                                       usage; SSE response.created ... response.completed
  POST /v1/messages                    Anthropic Messages: content blocks (thinking, text or tool_use), usage
                                       with cache fields; SSE message_start, ping, content_block_start/delta/
                                       stop, message_delta, message_stop. Anthropic-style error bodies.
                                       Also /v1/v1/messages: LiteLLM's anthropic/ appends /v1/messages to
                                       api_base, and the bundle's fake api_base ends with /v1.
  POST /v1/messages/count_tokens       Anthropic token count
  POST /v1beta/models/{model}:generateContent, :streamGenerateContent (SSE with ?alt=sse, else one JSON
                                       array); also under /v1/models/ (LiteLLM's gemini/ with api_base .../v1
                                       calls {api_base}/models/{model}:{method}). Google-style error bodies.
  GET  /health
Behaviour shared by the agent APIs: when the request offers tools (Anthropic `tools`, Responses function
tools, Gemini functionDeclarations) and its last message is not a tool result, the answer calls the first
tool with arguments made from its JSON schema (stop_reason tool_use); reasoning is answered when asked
(Anthropic `thinking: {type: enabled}` -> a thinking block with a signature; Responses `reasoning`;
Gemini thinkingConfig.includeThoughts). Requests missing what the real API requires answer 400.
Anthropic prompt caching is simulated (fakeapi/prompt_cache.py): blocks marked cache_control are written
to the cache, read on a later request with the same prefix (cache_creation/cache_read_input_tokens).

How LiteLLM 1.108.7 reaches it: a client's POST /v1/messages for an `openai/` deployment is bridged to the
Responses API, `{api_base}/responses` (llms/anthropic/pass_through/messages/handler.py,
`_RESPONSES_API_PROVIDERS = {"openai"}`; `litellm.use_chat_completions_url_for_anthropic_messages` sends
it to chat/completions instead); for an `anthropic/` deployment it is forwarded to `{api_base}/v1/messages`.

Test controls: GET/DELETE /_fake/requests (what it received: kind, path, model, body, headers without
credentials; DELETE also forgets the prompt cache), PUT/DELETE /_fake/faults (faults per model).

Faults, the same on every API (per model via PUT /_fake/faults {"<model or *>": {...}}, at start via
--faults JSON, or per request via the header `x-fake-fault: <json>`); errors in each API's own shape:
  {"status": 500}                      answer with that HTTP status (e.g. 529: Anthropic's overloaded_error)
  {"status": 429, "retry_after": 2}    rate limited, with Retry-After
  {"delay_s": 30}                      sleep before answering (client timeouts)
  {"first_token_delay_s": 2}           slow first token (streaming and non-streaming)
  {"cut_after_chunks": 2}              a stream that stops mid-way after that many SSE events
  {"stream_error_after_chunks": 2}     a stream that sends the API's error event after that many events
                                       (Anthropic overloaded_error, Responses `error`, chat/Gemini
                                       {"error": ...}) and ends
  "times": N                           apply to the next N requests only (default: every request)

Depends only on starlette + uvicorn (both in the LiteLLM image), so it runs from the same image.
"""

from __future__ import annotations

import argparse
import json
import os

from fakeapi.app import create_app
from fakeapi.common import State

__all__ = ["State", "create_app", "main"]


def main() -> None:
    import uvicorn  # noqa: PLC0415  (only to serve; the app imports without it)

    parser = argparse.ArgumentParser(description="fake LLM provider (OpenAI, Anthropic, Responses, Gemini APIs)")
    parser.add_argument("--host", default=os.environ.get("FAKE_PROVIDER_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("FAKE_PROVIDER_PORT", "8090")))
    parser.add_argument(
        "--latency-ms",
        type=float,
        default=float(os.environ.get("FAKE_PROVIDER_LATENCY_MS", "0")),
        help="added to every answer",
    )
    parser.add_argument("--faults", default=os.environ.get("FAKE_PROVIDER_FAULTS", ""), help="JSON: model -> fault")
    parser.add_argument("--no-record", action="store_true", help="do not keep received requests (benchmarks)")
    args = parser.parse_args()
    state = State(json.loads(args.faults) if args.faults else None, args.latency_ms, not args.no_record)
    uvicorn.run(create_app(state), host=args.host, port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
