using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using MoleculeGuardian.Healing;
using MoleculeGuardian.Hosting;
using MoleculeGuardian.Json;

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

    public IHost? Host { get; private set; }

    /// <summary>Builds and starts the host; returns once StartAsync completed (the startup heal is done).</summary>
    public async Task StartAsync(bool gate = true, Dictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null)
    {
        var overrides = new Dictionary<string, string?>
        {
            ["Guardian:SettingsPath"] = SettingsPath,
            ["Guardian:Debounce"] = "00:00:00.050",
            ["Guardian:MaxDelay"] = "00:00:00.500",
            ["Guardian:SettleDelay"] = "00:00:00.050",
            ["Guardian:PollInterval"] = "00:00:00.100",
            ["Guardian:DirectoryCheckInterval"] = "00:00:00.100",
            ["Logging:MinimumLevel"] = "Debug",
            [PlatformAgentGate.Variable] = gate ? "1" : "0",
        };
        foreach (var (key, value) in settings ?? [])
        {
            overrides[key] = value;
        }

        var configuration = GuardianHost.BuildConfiguration([], overrides);
        Host = GuardianHost.Build(configuration, Log, services);
        await Host.StartAsync().WaitAsync(TimeSpan.FromSeconds(30));
    }

    public int Heals => Log.Count("\"Name\":\"Healed\"");

    public int NoOpHeals => Log.Count("\"Name\":\"AlreadyHealthy\"");

    public bool FileComplies()
    {
        try
        {
            var bytes = File.ReadAllBytes(SettingsPath);
            return SettingsJson.TryParse(bytes, out var doc, out _)
                && HealTransform.Complies(doc, [ProtectedServer.ManagementDefault()], DriftPolicy.Replace);
        }
        catch (IOException)
        {
            return false;
        }
    }

    public JsonObject ReadDocument()
    {
        Assert.True(SettingsJson.TryParse(File.ReadAllBytes(SettingsPath), out var doc, out var error), error);
        return Assert.IsType<JsonObject>(doc);
    }

    /// <summary>Waits until the file complies and the loop has gone quiet (a no-op heal after the last write).</summary>
    public async Task WaitHealedAndQuietAsync(int healsBefore)
    {
        await Eventually.TrueAsync(() => Heals > healsBefore && FileComplies(), "the file to be healed");
        var heals = Heals;
        var noOps = NoOpHeals;
        await Eventually.TrueAsync(() => NoOpHeals > noOps || Heals > heals, "the heal loop to check again after its own write");
    }

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
