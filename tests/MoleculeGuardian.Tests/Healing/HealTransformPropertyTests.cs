using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using System.Text.Json;
using CsCheck;
using MoleculeGuardian.Healing;
using MoleculeGuardian.Json;
using MoleculeGuardian.Tests.Support;

namespace MoleculeGuardian.Tests.Healing;

public sealed class HealTransformPropertyTests
{
    private const long Iterations = 400;
    private const string Protected = "molecule-platform";
    private static readonly ProtectedServer Management = Decisions.Management;
    private static readonly JsonObject Spec = JsonNodes.Of(Management.Spec!.Value)!.AsObject();

    private static readonly string[] NumberTexts =
        ["0", "-0", "1", "-1", "1.0", "1e5", "1E400", "-2.5e-3", "12345678901234567890", "3.14159", "0.10", "100000.0"];

    private static readonly Gen<string> Text = Gen.Frequency(
        (4, Gen.String[Gen.Char['a', 'z'], 0, 8]),
        (2, Gen.String[Gen.Char['\0', '\u00ff'], 0, 6]),
        (1, Gen.String[Gen.Char['\u0100', '\ud7ff'], 0, 4]),
        (1, Gen.OneOfConst("\ud83d\ude00", "caf\u00e9", "\"\\/", "\u007f", "\u2028", "mcpServers", Protected, "", "sk-SECRET\n")));

    private static readonly Gen<string> Key = Gen.Frequency(
        (6, Gen.String[Gen.Char['a', 'e'], 1, 3]),
        (1, Text),
        (1, Gen.OneOfConst("command", "env", "args", "hooks", "permissions", "MOLECULE_MCP_MODE")));

    private static readonly Gen<JsonNode?> Scalar = Gen.Frequency(
        (3, Text.Select(s => (JsonNode?)JsonValue.Create(s))),
        (2, Gen.OneOfConst(NumberTexts).Select(n => (JsonNode?)JsonValue.Create(JsonDocument.Parse(n).RootElement.Clone()))),
        (1, Gen.Bool.Select(b => (JsonNode?)JsonValue.Create(b))),
        (1, Gen.Int[0, 0].Select(_ => (JsonNode?)null)));

    private static readonly Gen<JsonNode?> Value = Node(3);

    private static readonly Gen<JsonNode?> ProtectedEntry = Gen.Frequency(
        (2, Gen.Int[0, 0].Select(_ => (JsonNode?)Spec.DeepClone())),
        (1, Gen.Int[0, 0].Select(_ => (JsonNode?)new JsonObject { ["env"] = new JsonObject { ["MOLECULE_MCP_MODE"] = "management" }, ["command"] = "molecule-platform-mcp" })),
        (2, Gen.Select(Key, Text).Select((k, v) =>
        {
            var drifted = Spec.DeepClone().AsObject();
            drifted["env"]!.AsObject()[k] = v;
            return (JsonNode?)drifted;
        })),
        (1, Gen.Select(Key, Value).Select((k, v) =>
        {
            var drifted = Spec.DeepClone().AsObject();
            drifted[k] = v;
            return (JsonNode?)drifted;
        })),
        (1, Value));

    /// <summary>An mcpServers object with random entries and the protected one absent (pos &lt; 0) or at any position; or any value.</summary>
    private static readonly Gen<JsonNode?> McpServers = Gen.Frequency(
        (6, Gen.Select(Gen.Select(Key, Value).List[0, 5], Gen.Int[-2, 5], ProtectedEntry).Select((entries, pos, entry) =>
        {
            var obj = new JsonObject();
            for (var i = 0; i <= entries.Count; i++)
            {
                if (pos >= 0 && i == Math.Min(pos, entries.Count))
                {
                    obj[Protected] = entry;
                }

                if (i < entries.Count)
                {
                    obj[entries[i].Item1] = entries[i].Item2;
                }
            }

            return (JsonNode?)obj;
        })),
        (1, Value));

    /// <summary>Documents: mostly objects with random keys and sometimes mcpServers; sometimes any JSON value.</summary>
    public static readonly Gen<JsonNode?> Document = Gen.Frequency(
        (8, Gen.Select(Gen.Select(Key, Value).List[0, 6], Gen.Int[0, 6], Gen.Bool, McpServers).Select((pairs, at, withServers, servers) =>
        {
            var obj = new JsonObject();
            for (var i = 0; i <= pairs.Count; i++)
            {
                if (withServers && i == Math.Min(at, pairs.Count))
                {
                    obj["mcpServers"] = servers;
                }

                if (i < pairs.Count)
                {
                    obj[pairs[i].Item1] = pairs[i].Item2;
                }
            }

            return (JsonNode?)obj;
        })),
        (1, Value));

    private static Gen<JsonNode?> Node(int depth)
    {
        if (depth == 0)
        {
            return Scalar;
        }

        var inner = Node(depth - 1);
        return Gen.Frequency(
            (4, Scalar),
            (1, inner.List[0, 4].Select(items => (JsonNode?)new JsonArray([.. items]))),
            (1, Gen.Select(Key, inner).List[0, 4].Select(pairs =>
            {
                var obj = new JsonObject();
                foreach (var (k, v) in pairs)
                {
                    obj[k] = v; // a repeated key keeps its first place and takes the last value, like json.loads
                }

                return (JsonNode?)obj;
            })));
    }

    private static byte[] Bytes(JsonNode? node) => SettingsJson.Serialize(node);

    private static string Str(JsonNode? node) => System.Text.Encoding.UTF8.GetString(Bytes(node));

    /// <summary>The file a heal leaves: what it writes, or the file itself when it writes nothing.</summary>
    private static (byte[] Bytes, HealPlan Plan) Heal(JsonNode? doc, DriftPolicy policy)
    {
        var input = Bytes(doc);
        var plan = HealDecision.Decide(Decisions.File(input), HealMemory.Empty, Decisions.Rules(policy));
        Assert.True(plan.Kind is PlanKind.Write or PlanKind.NoChange, plan.Reason);
        return (plan.Kind == PlanKind.Write ? plan.Content : input, plan);
    }

    private static JsonNode? Read(byte[] bytes) => JsonNodes.Parse(bytes);

    [Fact]
    public void Heal_AnyDocument_IsIdempotent()
    {
        Document.Sample(doc =>
        {
            foreach (var policy in new[] { DriftPolicy.Replace, DriftPolicy.Keep })
            {
                var (once, plan) = Heal(doc, policy);
                var twice = HealDecision.Decide(Decisions.File(once), plan.Memory, Decisions.Rules(policy));
                Assert.Equal(PlanKind.NoChange, twice.Kind);
                Assert.Equal(plan.LeftOut, twice.LeftOut);
            }
        }, iter: Iterations, print: Str);
    }

    [Fact]
    public void Heal_AnyObjectDocument_LeavesEverythingOutsideTheProtectedEntryUntouchedAndInOrder()
    {
        Document.Sample(doc =>
        {
            if (doc is not JsonObject root)
            {
                return;
            }

            foreach (var policy in new[] { DriftPolicy.Replace, DriftPolicy.Keep })
            {
                var healed = Read(Heal(doc, policy).Bytes)!.AsObject();

                var expectedKeys = root.Select(p => p.Key).ToList();
                if (!expectedKeys.Contains("mcpServers"))
                {
                    expectedKeys.Add("mcpServers");
                }

                Assert.Equal(expectedKeys, healed.Select(p => p.Key));
                foreach (var (key, value) in root)
                {
                    if (key != "mcpServers")
                    {
                        Assert.Equal(Str(value), Str(healed[key]));
                    }
                }

                if (root["mcpServers"] is JsonObject servers)
                {
                    var healedServers = healed["mcpServers"]!.AsObject();
                    var expectedNames = servers.Select(p => p.Key).ToList();
                    if (!expectedNames.Contains(Protected))
                    {
                        expectedNames.Add(Protected);
                    }

                    Assert.Equal(expectedNames, healedServers.Select(p => p.Key));
                    foreach (var (name, entry) in servers)
                    {
                        if (name != Protected || (policy == DriftPolicy.Keep && entry is JsonObject) || Accepted(entry))
                        {
                            Assert.Equal(Str(entry), Str(healedServers[name]));
                        }
                    }
                }
            }
        }, iter: Iterations, print: Str);
    }

    [Fact]
    public void Heal_AnyDocument_LeavesAnAcceptedEntryUnderReplaceAndAnyObjectUnderKeep()
    {
        Document.Sample(doc =>
        {
            var replaced = Read(Heal(doc, DriftPolicy.Replace).Bytes)!;
            Assert.True(Accepted(replaced["mcpServers"]![Protected]));

            var kept = Read(Heal(doc, DriftPolicy.Keep).Bytes)!;
            Assert.True(kept["mcpServers"]!.AsObject().ContainsKey(Protected));
            var original = doc is JsonObject root && root["mcpServers"] is JsonObject servers && servers.TryGetPropertyValue(Protected, out var entry) ? entry : null;
            if (original is JsonObject)
            {
                Assert.True(JsonNode.DeepEquals(original, kept["mcpServers"]![Protected]));
            }
            else
            {
                Assert.True(JsonNode.DeepEquals(Spec, kept["mcpServers"]![Protected]));
            }
        }, iter: Iterations, print: Str);
    }

    private static bool Accepted(JsonNode? entry) => Management.ShapeOf(SettingsJson.ToElement(entry)) is not null;

    [RequiresFact("python3")]
    public void Serialize_ThenTryParse_RoundTripsByteIdentically()
    {
        var written = new ConcurrentQueue<byte[]>();
        Document.Sample(doc =>
        {
            var bytes = Bytes(doc);
            written.Enqueue(bytes);
            Assert.True(SettingsJson.TryParse(bytes, out var parsed, out var error), error);
            Assert.True(JsonNode.DeepEquals(doc, JsonNodes.Of(parsed!)));
            Assert.Equal(bytes, SettingsJson.Serialize(parsed!));
            Assert.All(bytes, b => Assert.InRange(b, (byte)0x0a, (byte)0x7e)); // ensure_ascii: pure printable ASCII + newlines
        }, iter: Iterations, print: Str);

        // Not only our own parser: Python's json.loads then json.dumps(indent=2) gives back exactly these bytes.
        PythonJson.AssertFixedPoints([.. written]);
    }
}
