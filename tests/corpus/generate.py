#!/usr/bin/env python3
"""Generates the hostile corpus and the Python reference outputs ONCE. The tests never run this script:
they read the files it wrote (committed). Re-run only to add cases: python3 tests/corpus/generate.py"""
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
CANON = {"command": "molecule-platform-mcp", "env": {"MOLECULE_MCP_MODE": "management"}}


def put(name, data):
    if isinstance(data, str):
        data = data.encode("utf-8")
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)


def dumps(obj):
    return json.dumps(obj, indent=2) + "\n"


REAL = {
    "env": {"CLAUDE_CODE_ENABLE_TELEMETRY": "0", "DISABLE_AUTOUPDATER": "1"},
    "permissions": {
        "allow": ["Bash(git status:*)", "Bash(npm run test:*)", "Read(/configs/**)", "mcp__github__get_issue"],
        "deny": ["Read(./.env)", "Bash(curl:*)"],
        "defaultMode": "acceptEdits",
    },
    "hooks": {
        "PreToolUse": [
            {"matcher": "Bash", "hooks": [{"type": "command", "command": "/configs/plugins/guard/pre_bash.sh", "timeout": 30}]}
        ],
        "PostToolUse": [
            {"matcher": "Edit|Write", "hooks": [{"type": "command", "command": "/configs/plugins/fmt/format.sh"}]}
        ],
        "SessionStart": [{"hooks": [{"type": "command", "command": "echo \"session $(date -u +%FT%TZ)\" >> /tmp/s.log"}]}],
    },
    "mcpServers": {
        "github": {
            "command": "npx",
            "args": ["-y", "@modelcontextprotocol/server-github"],
            "env": {"GITHUB_PERSONAL_ACCESS_TOKEN": "ghp_sk-SECRET-0123456789abcdefABCDEF"},
        },
        "image-gen": {
            "command": "uvx",
            "args": ["image-gen-mcp", "--size", "1024x1024"],
            "env": {"OPENAI_API_KEY": "sk-SECRET-proj-abcdefghijklmnopqrstuvwxyz", "IMAGE_QUALITY": "hd"},
        },
        "docs": {"type": "http", "url": "https://docs.example.com/mcp", "headers": {"Authorization": "Bearer sk-SECRET-docs"}},
        "molecule-platform": CANON,
    },
    "statusLine": {"type": "command", "command": "~/.claude/statusline.sh", "padding": 0},
    "includeCoAuthoredBy": False,
    "cleanupPeriodDays": 30,
    "model": "claude-sonnet-4-5",
    "feedbackSurveyState": {"lastShownTime": 1.0, "ratio": 0.25},
    "\u00e9t\u00e9 \U0001F680": "caf\u00e9 \u2603 \U0001F600",
}


def without_protected(doc):
    doc = json.loads(json.dumps(doc))
    del doc["mcpServers"]["molecule-platform"]
    return doc


def nested(depth, leaf="0"):
    return "[" * depth + leaf + "]" * depth


def main():
    # The runtime-shaped files.
    put("real-settings.json", dumps(without_protected(REAL)))            # the prefix source: entry missing
    put("real-settings-healthy.json", dumps(REAL))                       # complies: no write
    drifted = json.loads(json.dumps(REAL))
    drifted["mcpServers"]["molecule-platform"] = {
        "command": "npx", "args": ["-y", "@molecule-ai/mcp-server@1.4.2"],
        "env": {"MOLECULE_API_URL": "https://api.molecule.example", "MOLECULE_API_KEY": "sk-SECRET-admin-9f8e7d6c",
                "MOLECULE_ORG_ID": "org_sk-SECRET", "MOLECULE_MCP_MODE": "management"}}
    put("drifted-with-secrets.json", dumps(drifted))
    extra_env = json.loads(json.dumps(REAL))
    extra_env["mcpServers"]["molecule-platform"] = {"command": "molecule-platform-mcp",
                                                    "env": {"MOLECULE_MCP_MODE": "management", "ADMIN_TOKEN": "sk-SECRET-tok"}}
    put("drifted-extra-env.json", dumps(extra_env))
    reordered = json.loads(json.dumps(REAL))
    reordered["mcpServers"]["molecule-platform"] = {"env": {"MOLECULE_MCP_MODE": "management"}, "command": "molecule-platform-mcp"}
    put("protected-entry-reordered.json", dumps(reordered))
    put("protected-entry-null.json", '{"mcpServers": {"molecule-platform": null, "other": {"command": "x"}}}\n')
    put("mcpservers-missing.json", dumps({"hooks": {}, "permissions": {"allow": []}, "env": {"A": "sk-SECRET"}}))
    put("empty-object.json", "{}\n")
    put("minified-crlf.json", json.dumps(without_protected(REAL), separators=(",", ":")).replace(",", ",\r\n"))
    put("torn-write.json", dumps(without_protected(REAL))[:700])

    # Encodings and bytes.
    put("bom.json", b"\xef\xbb\xbf" + dumps(without_protected(REAL)).encode())
    put("invalid-utf8.json", b'{"env": {"K": "sk-SECRET-\xff\xfe-\xc3"}, "mcpServers": {}}\n')
    put("overlong-utf8.json", b'{"k": "\xc0\xaf sk-SECRET"}\n')
    put("utf16le-bom.json", "\ufeff".encode("utf-16-le") + dumps(without_protected(REAL)).encode("utf-16-le"))
    put("utf16be-nobom.json", dumps({"mcpServers": {}, "k": "sk-SECRET"}).encode("utf-16-be"))
    put("nul-bytes.json", b'{"k": "sk-SECRET"}\x00\x00\x00\n')
    put("nul-in-middle.json", b'{"k": "sk-SE\x00CRET", "mcpServers": {}}\n')
    put("empty.json", b"")
    put("whitespace-only.json", b" \n\t\r\n   \n")
    put("bom-only.json", b"\xef\xbb\xbf")

    # Syntax Python's json.loads rejects (and some it accepts but System.Text.Json does not).
    put("duplicate-keys.json", '{"a": 1, "mcpServers": {"x": {"command": "old"}, "x": {"command": "sk-SECRET-new"}}, "b": 2, "a": 3}\n')
    put("duplicate-protected.json", '{"mcpServers": {"molecule-platform": {"command": "molecule-platform-mcp", "env": {"MOLECULE_MCP_MODE": "management"}}, "molecule-platform": {"command": "evil"}}}\n')
    put("nan.json", '{"mcpServers": {}, "ratio": NaN, "k": "sk-SECRET"}\n')
    put("infinity.json", '{"mcpServers": {}, "big": Infinity, "small": -Infinity, "k": "sk-SECRET"}\n')
    put("comments.json", '{\n  // sk-SECRET\n  "mcpServers": {} /* trailing */\n}\n')
    put("trailing-comma.json", '{"mcpServers": {"a": {"command": "sk-SECRET"},},}\n')
    put("single-quotes.json", "{'mcpServers': {'k': 'sk-SECRET'}}\n")
    put("unterminated-string.json", '{"mcpServers": {"k": "sk-SECRET\n')
    put("lone-surrogate.json", '{"mcpServers": {}, "k": "sk-SECRET \\ud800"}\n')
    put("lone-surrogate-key.json", '{"mcpServers": {"\\udc00sk-SECRET": {"command": "x"}}}\n')
    put("unescaped-control.json", '{"k": "sk-SECRET\ttab"}\n')
    put("two-documents.json", '{"mcpServers": {}}\n{"k": "sk-SECRET"}\n')
    put("garbage-after.json", '{"mcpServers": {}} sk-SECRET\n')
    put("huge-number.json", '{"n": 123456789012345678901234567890123456789, "e": 1E400, "f": -0, "g": 1.0, "h": 1e5, "i": 0.1000000000000000055511151231257827, "mcpServers": {}}\n')
    put("nested-300.json", '{"deep": ' + nested(300, '"sk-SECRET"') + ', "mcpServers": {}}\n')
    put("nested-511-objects.json", '{"mcpServers": {}, "d": ' + '{"a": ' * 510 + "1" + "}" * 510 + "}\n")
    put("nested-5000.json", nested(5000))
    put("nested-100000-unclosed.json", "[" * 100000)

    # Valid JSON of the wrong shape.
    put("root-array.json", '[{"mcpServers": {"k": "sk-SECRET"}}]\n')
    put("root-string.json", '"sk-SECRET"\n')
    put("root-number.json", "42\n")
    put("root-null.json", "null\n")
    put("root-true.json", "true\n")
    put("mcpservers-array.json", dumps({"hooks": {"A": []}, "mcpServers": [{"command": "sk-SECRET"}], "z": 1}))
    put("mcpservers-string.json", dumps({"hooks": {}, "mcpServers": "sk-SECRET", "z": 1}))
    put("mcpservers-null.json", dumps({"mcpServers": None, "z": 1}))
    put("mcpservers-number.json", dumps({"mcpServers": 7, "z": {"k": "sk-SECRET"}}))

    # Big.
    big = without_protected(REAL)
    big["blob"] = [{"id": i, "text": "x" * 200, "u": "\u00e9\U0001F600"} for i in range(8000)]
    text = dumps(big)
    assert len(text.encode()) > 2 * 1024 * 1024, len(text.encode())
    put("large-2mib.json", text)

    # Python reference for SettingsJson.Serialize: json.dumps(json.loads(s), indent=2) + "\n".
    varied = (
        '{"s": "plain", "unicode": "caf\u00e9 \u00fc\u00df \u4e2d\u6587 \u0416", "emoji": "\U0001F600\U0001F680 \U0001F468\u200D\U0001F469",'
        ' "ctrl": "\\u0000\\u0001\\u001f\\b\\f\\n\\r\\t", "del": "\\u007f\x7f", "c1": "\\u0080\\u009f", "quotes": "say \\"hi\\"",'
        ' "backslash": "C:\\\\path\\\\x", "slash": "a\\/b", "bmp-edge": "\\uffff\\ufffd\\u2028\\u2029",'
        ' "emptyObj": {}, "emptyArr": [], "nested": [[], [[]], [1, [2, [3, {}]]], {"a": [{}]}],'
        ' "numbers": [0, -1, 1.5, -0.25, 12345678901234567890, 1.0, 3.14159, 1e-07, 1e+22],'
        ' "lit": [true, false, null], "\u00e9key\U0001F511": {"inner \\"q\\"": "v"}, "": ""}'
    )
    cases = {
        "varied": varied.encode(),
        "duplicate-keys": b'{"a":1,"b":2,"a":3}',
        "duplicate-nested": b'{"m": {"x": 1, "y": {"z": 1}, "x": {"q": [1]}}, "m": {"x": 2, "w": 0, "x": 3}}',
        "bom": b"\xef\xbb\xbf" + varied.encode(),
        "real-settings": dumps(without_protected(REAL)).encode(),
        "minified": json.dumps(REAL, separators=(",", ":")).encode(),
        "escaped-astral": b'{"k": "\\ud83d\\ude00 \\uD83D\\uDE80"}',
        "scalars": b'["a", 1, null]',
    }
    for name, data in cases.items():
        with open(os.path.join(HERE, "python", name + ".input.json"), "wb") as f:
            f.write(data)
        with open(os.path.join(HERE, "python", name + ".expected.json"), "wb") as f:
            f.write(dumps(json.loads(data)).encode())


if __name__ == "__main__":
    main()
