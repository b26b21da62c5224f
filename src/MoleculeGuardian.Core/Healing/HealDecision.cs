using System.IO.Hashing;
using System.Text.Json;
using System.Runtime.InteropServices;
using MoleculeGuardian.Json;

namespace MoleculeGuardian.Healing;

/// <summary>
/// What a heal decision goes by, besides what it saw and what it remembers. <see cref="WhyNotRunnable"/> is null when a
/// command resolves as the runtime would start it (an absolute path to an executable file, or a bare name found on
/// <c>PATH</c>), otherwise why not: a dead command is never written, since presence checks would go green while the
/// MCP server cannot start.
/// </summary>
internal sealed record HealRules(IReadOnlyList<ProtectedServer> Servers, DriftPolicy Policy, TimeSpan SettleDelay, long MaxFileBytes,
    Func<string, string?> WhyNotRunnable, int MaxValues = SettingsJson.MaxValues);

/// <summary>
/// The heal decision, as one pure function: <c>(what was read, memory) → (plan, memory')</c>. It knows no files,
/// clocks or loggers: time comes in with the observation, commands are judged by the rules' function, and whatever
/// must happen later (the settle wait) comes back as data for the loop that owns its deadlines.
/// </summary>
internal static class HealDecision
{
    /// <summary>
    /// A file that keeps changing but never parses is not a writer mid-write but a writer of garbage: after this many
    /// settle delays of unbroken bad reads it counts as corrupt even though it changed.
    /// </summary>
    public const int MaxSettleRounds = 10;

    public static HealPlan Decide(Observation seen, HealMemory memory, HealRules rules)
    {
        ArgumentNullException.ThrowIfNull(seen);
        ArgumentNullException.ThrowIfNull(memory);
        ArgumentNullException.ThrowIfNull(rules);
        switch (seen.Kind)
        {
            case SeenKind.NoDirectory:
                return new HealPlan(PlanKind.NoDirectory, memory with { Torn = null, ReportedRefusal = null });
            case SeenKind.Refused:
                return Refuse(seen.Reason, memory with { Torn = null });
        }

        var wasThere = memory.WasPresent || memory.Torn is not null;
        memory = memory with { WasPresent = seen.Kind == SeenKind.File, ReportedRefusal = null };
        SettingsDocument? document = null;
        try
        {
            string? corrupt = null;
            if (seen.Kind == SeenKind.File && !SettingsJson.TryParse(seen.Bytes, rules.MaxValues, out document, out var problem, out var failure))
            {
                if (failure == ParseFailure.TooManyValues)
                {
                    return Refuse($"the file is too complex for a heal: {problem}", memory with { Torn = null });
                }

                if (Settle(seen, memory, problem, rules.SettleDelay) is { } wait)
                {
                    return wait;
                }

                corrupt = problem;
            }
            else if (seen.Kind == SeenKind.NoFile && wasThere && Settle(seen, memory, "missing", rules.SettleDelay) is { } gone)
            {
                return gone;
            }

            return Heal(seen, document, corrupt, memory with { Torn = null }, rules);
        }
        finally
        {
            // Mutation testing: the Block removal of this finally survives and is equivalent, for the reason below.
            // Stryker disable once Statement : it gives the document's rows back to the pool; without it the GC takes them, and no decision changes
            document?.Dispose();
        }
    }

    private static HealPlan Refuse(string reason, HealMemory memory) =>
        new(PlanKind.Refuse, memory with { ReportedRefusal = reason }) { Reason = reason, FirstSeen = memory.ReportedRefusal != reason };

    /// <summary>
    /// The torn-write policy. The runtime's writers truncate, then write, so an empty or unparseable file, or one that
    /// just disappeared, is first taken for another writer in the middle of its work: repair it only when it stayed
    /// exactly as it is for the settle delay, or never stopped being bad for <see cref="MaxSettleRounds"/> of them.
    /// Null: repair now; otherwise the plan that waits.
    /// </summary>
    private static HealPlan? Settle(Observation seen, HealMemory memory, string problem, TimeSpan delay)
    {
        var digest = XxHash128.Hash(seen.Bytes.Span);
        if (memory.Torn is { } torn && torn.Kind == seen.Kind && torn.Version == seen.Version && torn.Digest.AsSpan().SequenceEqual(digest))
        {
            var waited = seen.At - torn.Since;
            return waited >= delay ? null : new HealPlan(PlanKind.Wait, memory) { SettleIn = delay - waited, Reason = problem };
        }

        var badSince = memory.Torn?.BadSince ?? seen.At;
        if (seen.At - badSince >= delay * MaxSettleRounds)
        {
            return null;
        }

        var next = memory with { Torn = new TornRead(seen.Kind, seen.Version, digest, seen.At, badSince) };
        return new HealPlan(PlanKind.Wait, next) { SettleIn = delay, Reason = problem, FirstSeen = true };
    }

    private static HealPlan Heal(Observation seen, SettingsDocument? document, string? corrupt, HealMemory memory, HealRules rules)
    {
        var serversKind = HealTransform.ServersOf(document, out var servers);
        var notices = new List<EntryNotice>();
        var leftOut = new List<string>();
        var entries = new List<KeyValuePair<string, JsonElement>>();
        var changes = new List<HealChange>();
        foreach (var server in rules.Servers)
        {
            var state = HealTransform.Inspect(servers, server);
            if (state.Kind == EntryKind.Accepted)
            {
                memory = Accepted(server, state, document!.DuplicateKeys, memory, notices);
                continue;
            }

            var replace = state.Kind != EntryKind.Impostor || rules.Policy == DriftPolicy.Replace;
            var candidate = replace ? Candidate(server, memory, rules) : default;
            if (state.Kind != EntryKind.Missing)
            {
                memory = Impostor(server, state, memory, notices, replaced: candidate.Entry is not null);
            }

            if (candidate.Entry is { } entry)
            {
                entries.Add(new(server.Name, entry));
                changes.Add(new HealChange(state.Kind == EntryKind.Missing ? HealChangeKind.AddedEntry : HealChangeKind.ReplacedImpostor, server.Name, candidate.Source));
                memory = memory with { ReportedUnrestorable = memory.ReportedUnrestorable.Remove(server.Name) };
                continue;
            }

            leftOut.Add(server.Name);
            if (replace && !memory.ReportedUnrestorable.Contains(server.Name))
            {
                // Once per eviction: said again only after an accepted entry was seen there in between.
                notices.Add(new EntryNotice(NoticeKind.NotRestorable, server.Name, candidate.WhyNot));
                memory = memory with { ReportedUnrestorable = memory.ReportedUnrestorable.Add(server.Name) };
            }
        }

        var plan = new HealPlan(PlanKind.NoChange, memory) { Notices = notices, LeftOut = leftOut };
        if (entries.Count == 0)
        {
            // Nothing of ours to put in: the file is left as it is, torn, corrupt or absent alike (the guardian writes
            // only to put a protected entry back, and the platform's own recovery must still see it missing).
            return plan;
        }

        changes.InsertRange(0, Structure(seen, corrupt, serversKind));
        byte[] content;
        try
        {
            content = HealTransform.With(document, entries, rules.MaxFileBytes);
        }
        catch (OutputTooLargeException ex)
        {
            return Refuse($"{ex.Message}, over Guardian:MaxFileBytes ({rules.MaxFileBytes})", memory) with { Notices = notices, LeftOut = rules.Servers.Select(s => s.Name).ToList() };
        }

        var (copy, why) = CopyNeeded(seen, corrupt, document, changes);
        return plan with { Kind = PlanKind.Write, Changes = changes, Content = content, Copy = copy, Reason = why };
    }

    /// <summary>
    /// An accepted entry stays as it is, and becomes what a restore puts back: as the runtime reads it, so in a file that
    /// repeats a key, with each repeat folded to its last value (the runtime's writers never write a repeat).
    /// </summary>
    private static HealMemory Accepted(ProtectedServer server, EntryState state, bool repeatsKeys, HealMemory memory, List<EntryNotice> notices)
    {
        // Mutation testing: "true ?" survives and is equivalent: folding an entry without repeats gives the same entry (the
        // condition only spares the re-parse).
        var entry = repeatsKeys ? SettingsJson.Folded(state.Entry) : state.Entry;
        if (!memory.LastAccepted.TryGetValue(server.Name, out var known) || !JsonElement.DeepEquals(known, entry))
        {
            notices.Add(new EntryNotice(NoticeKind.Remembered, server.Name, state.Shape!));

            // A copy of its own: the document it came from is given back when this decision ends.
            memory = memory with { LastAccepted = memory.LastAccepted.SetItem(server.Name, entry.Clone()) };
        }

        return memory with
        {
            ReportedUnrestorable = memory.ReportedUnrestorable.Remove(server.Name),
            ReportedImpostors = memory.ReportedImpostors.Remove(server.Name),
        };
    }

    /// <summary>An impostor (or an entry that is no object) is reported once for each distinct one.</summary>
    private static HealMemory Impostor(ProtectedServer server, EntryState state, HealMemory memory, List<EntryNotice> notices, bool replaced)
    {
        var digest = Convert.ToHexString(XxHash128.Hash(JsonMarshal.GetRawUtf8Value(state.Entry)));
        if (memory.ReportedImpostors.TryGetValue(server.Name, out var reported) && reported == digest)
        {
            return memory;
        }

        notices.Add(new EntryNotice(NoticeKind.Impostor, server.Name, state.Command, replaced));
        return memory with { ReportedImpostors = memory.ReportedImpostors.SetItem(server.Name, digest) };
    }

    /// <summary>
    /// What to put under the name: the last accepted entry seen, else the configured spec; never one whose command
    /// does not resolve. Without one, why not.
    /// </summary>
    private static (JsonElement? Entry, EntrySource? Source, string WhyNot) Candidate(ProtectedServer server, HealMemory memory, HealRules rules)
    {
        var reasons = new List<string>();
        if (memory.LastAccepted.TryGetValue(server.Name, out var seen))
        {
            if (Dead(seen, rules) is not { } whySeen)
            {
                // Stryker disable once String : WhyNot is read only when there is no entry to write
                return (seen, EntrySource.LastSeen, "");
            }

            reasons.Add($"the last entry seen runs {whySeen}");
        }
        else
        {
            reasons.Add("no entry of an accepted shape has been seen since the guardian started");
        }

        if (server.Spec is not { } spec)
        {
            reasons.Add($"the configured spec cannot be used: {server.SpecProblem}");
        }
        else if (Dead(spec, rules) is { } whySpec)
        {
            reasons.Add($"the configured spec runs {whySpec}");
        }
        else
        {
            // Stryker disable once String : WhyNot is read only when there is no entry to write
            return (spec, EntrySource.Configured, "");
        }

        return (null, null, string.Join("; ", reasons));
    }

    /// <summary>Null when the entry's command resolves; otherwise the command and why it does not.</summary>
    private static string? Dead(JsonElement entry, HealRules rules)
    {
        // Only stdio entries have a command to start; an entry with a url has nothing local to resolve.
        if (!entry.TryGetProperty("command", out var command) || command.ValueKind != JsonValueKind.String)
        {
            return null;
        }

        var name = command.GetString()!;
        return rules.WhyNotRunnable(name) is { } why ? $"{name}, which {why}" : null;
    }

    /// <summary>What the write does to the document around the entries: created, rebuilt, or nothing.</summary>
    private static IEnumerable<HealChange> Structure(Observation seen, string? corrupt, ServersKind serversKind)
    {
        if (seen.Kind == SeenKind.NoFile)
        {
            return [new HealChange(HealChangeKind.CreatedFile)];
        }

        return corrupt is not null ? [new HealChange(HealChangeKind.RepairedCorruptFile)]
            : serversKind switch
            {
                ServersKind.NoDocument => [new HealChange(HealChangeKind.RepairedRoot)],
                ServersKind.Missing => [new HealChange(HealChangeKind.CreatedMcpServers)],
                ServersKind.NotObject => [new HealChange(HealChangeKind.RepairedMcpServers)],
                _ => [],
            };
    }

    /// <summary>Every byte a write drops is kept first: which copy, and why.</summary>
    private static (KeepCopy, string) CopyNeeded(Observation seen, string? corrupt, SettingsDocument? document, List<HealChange> changes)
    {
        if (seen.Kind != SeenKind.File)
        {
            return (KeepCopy.None, "");
        }

        if (corrupt is not null)
        {
            return (KeepCopy.Corrupt, corrupt);
        }

        if (changes.Exists(c => c.Kind == HealChangeKind.RepairedRoot))
        {
            return (KeepCopy.Corrupt, "the root is not a JSON object");
        }

        if (changes.Exists(c => c.Kind == HealChangeKind.RepairedMcpServers))
        {
            return (KeepCopy.Corrupt, "mcpServers is not a JSON object");
        }

        if (changes.Exists(c => c.Kind == HealChangeKind.ReplacedImpostor))
        {
            return (KeepCopy.Replaced, "an entry of no accepted shape was replaced");
        }

        return document?.DuplicateKeys == true
            ? (KeepCopy.Replaced, "the file repeats keys; like the runtime, only the last value of each is kept")
            : (KeepCopy.None, "");
    }
}
