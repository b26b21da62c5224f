using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using MoleculeGuardian.Configuration;
using MoleculeGuardian.Files;
using MoleculeGuardian.Hosting;

namespace MoleculeGuardian.Tests.Support;

/// <summary>The real host, built by the production code (GuardianHost.Build), on a temp settings file.</summary>
internal sealed class GuardianHostHarness : IAsyncDisposable
{
    private readonly TempDirectory _temp = new();

    public GuardianHostHarness(bool createDirectory = true)
    {
        SettingsPath = _temp.SettingsPath(createDirectory);
    }

    public string SettingsPath { get; }

    public string Directory => Path.GetDirectoryName(SettingsPath)!;

    public TestLog Log { get; } = new();

    public RecordingIdentity Identity { get; } = new();

    public IHost? Host { get; private set; }

    /// <summary>Builds and starts the host; returns once StartAsync completed (the startup heal is done).</summary>
    public async Task StartAsync(bool gate = true, Dictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null)
    {
        var overrides = new Dictionary<string, string?>
        {
            ["Guardian:SettingsPath"] = SettingsPath,
            ["Guardian:SettleDelay"] = "00:00:00.050",
            ["Guardian:PollInterval"] = "00:00:00.100",
            ["Guardian:DirectoryCheckInterval"] = "00:00:00.100",
            ["Logging:MinimumLevel"] = "Debug",
            [PlatformAgentGate.MarkerVariable] = gate ? "1" : "0",
        };
        foreach (var (key, value) in settings ?? [])
        {
            overrides[key] = value;
        }

        var configuration = GuardianHost.BuildConfiguration([], overrides);
        Host = GuardianHost.Build(configuration, Log, collection =>
        {
            // Registered first, so AddMoleculeGuardian keeps it: an in-process host must never switch the test process's user.
            collection.AddSingleton<IProcessIdentity>(Identity);

            // The baked image's world, where the configured command is on PATH; a test may register its own check after this.
            collection.AddSingleton(TestHealers.Baked);
            services?.Invoke(collection);
        });
        await Host.StartAsync().WaitAsync(TimeSpan.FromSeconds(30));
    }

    public int Heals => Log.Count(HealedEvent);

    public int NoOpHeals => Log.Count(NoOpEvent);

    public bool FileComplies() => SettingsFiles.Complies(SettingsPath);

    public JsonObject ReadDocument()
    {
        return Assert.IsType<JsonObject>(JsonNodes.Parse(File.ReadAllBytes(SettingsPath)));
    }

    /// <summary>
    /// Waits until the file complies and the heal loop has checked it again after its own last write: the newest heal
    /// event in the log is a no-op that came after a new <c>Healed</c>. Judged by the order of the log, not by counts
    /// read before the wait, which a fast loop may already have passed.
    /// </summary>
    public async Task WaitHealedAndQuietAsync(int healsBefore)
    {
        await Eventually.TrueAsync(
            () => Heals > healsBefore && FileComplies() && LastHealEvent()?.Contains(NoOpEvent, StringComparison.Ordinal) == true,
            "the file to be healed and the heal loop to check again after its own write", context: () => Log.Text);
    }

    private const string HealedEvent = "\"Name\":\"Healed\"";
    private const string NoOpEvent = "\"Name\":\"AlreadyHealthy\"";

    private string? LastHealEvent() =>
        Log.Lines.LastOrDefault(l => l.Contains(HealedEvent, StringComparison.Ordinal) || l.Contains(NoOpEvent, StringComparison.Ordinal));

    public async ValueTask DisposeAsync()
    {
        if (Host is not null)
        {
            await Host.StopAsync().WaitAsync(TimeSpan.FromSeconds(30));
            Host.Dispose();
        }

        _temp.Dispose();
    }
}
