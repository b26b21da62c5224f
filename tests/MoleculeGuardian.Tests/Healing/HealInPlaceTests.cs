using System.Text.Json.Nodes;
using CsCheck;
using MoleculeGuardian.Configuration;
using MoleculeGuardian.Healing;
using MoleculeGuardian.Json;

namespace MoleculeGuardian.Tests.Healing;

/// <summary>The in-place heal is the pure heal without the copy: same changes, same bytes, on the caller's document.</summary>
public sealed class HealInPlaceTests
{
    private static readonly IReadOnlyList<ProtectedServer> Servers = [ProtectedServerSpecs.ManagementDefault()];

    private static byte[] Bytes(JsonNode? node) => SettingsJson.Serialize(node);

    [Fact]
    public void HealInPlace_AnyDocument_EqualsThePureHeal()
    {
        HealTransformPropertyTests.Document.Sample(doc =>
        {
            foreach (var policy in new[] { DriftPolicy.Replace, DriftPolicy.Keep })
            {
                var pure = HealTransform.Heal(doc, Servers, policy);
                var mine = doc?.DeepClone();
                var inPlace = HealTransform.HealInPlace(mine, Servers, policy);

                Assert.Equal(pure.Changes, inPlace.Changes);
                Assert.Equal(Bytes(pure.Document), Bytes(inPlace.Document));
                if (mine is JsonObject)
                {
                    // An object root is healed where it is: the result is the caller's document, now healed.
                    Assert.Same(mine, inPlace.Document);
                }
            }
        }, iter: 400, print: node => System.Text.Encoding.UTF8.GetString(Bytes(node)));
    }

    [Fact]
    public void HealInPlace_DocumentWithoutTheEntry_AddsItToTheInput()
    {
        var doc = new JsonObject { ["a"] = 1, ["mcpServers"] = new JsonObject { ["other"] = new JsonObject() } };

        var result = HealTransform.HealInPlace(doc, Servers, DriftPolicy.Replace);

        Assert.True(result.Changed);
        Assert.Same(doc, result.Document);
        Assert.True(((JsonObject)doc["mcpServers"]!).ContainsKey(Servers[0].Name));
    }

    [Fact]
    public void Heal_StillNeverMutatesItsInput()
    {
        var doc = new JsonObject { ["mcpServers"] = new JsonObject() };
        var before = Bytes(doc);

        var result = HealTransform.Heal(doc, Servers, DriftPolicy.Replace);

        Assert.NotSame(doc, result.Document);
        Assert.Equal(before, Bytes(doc));
    }
}
