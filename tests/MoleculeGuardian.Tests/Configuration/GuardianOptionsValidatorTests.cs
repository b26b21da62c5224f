using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using MoleculeGuardian.Configuration;
using MoleculeGuardian.Healing;
using MoleculeGuardian.Hosting;
using MoleculeGuardian.Tests.Support;

namespace MoleculeGuardian.Tests.Configuration;

public sealed class GuardianOptionsValidatorTests
{
    private static GuardianOptions Valid()
    {
        var options = new GuardianOptions();
        GuardianServiceCollectionExtensions.BindGuardian(new ConfigurationBuilder().Build(), options);
        return options;
    }

    private static ValidateOptionsResult Validate(Action<GuardianOptions> change)
    {
        var options = Valid();
        change(options);
        return new GuardianOptionsValidator().Validate(null, options);
    }

    private static string SingleFailure(Action<GuardianOptions> change)
    {
        var result = Validate(change);
        Assert.True(result.Failed);
        return Assert.Single(result.Failures!);
    }

    private static GuardianOptions Bind(params (string Key, string? Value)[] values)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value)))
            .Build();
        var options = new GuardianOptions();
        GuardianServiceCollectionExtensions.BindGuardian(configuration, options);
        return options;
    }

    [Fact]
    public void Validate_Defaults_Succeed()
    {
        var result = new GuardianOptionsValidator().Validate(null, Valid());

        Assert.True(result.Succeeded, result.FailureMessage);
    }

    [Fact]
    public void Validate_DefaultsWithoutBinding_FailOnlyOnMissingProtectedServers()
    {
        var failure = Assert.Single(new GuardianOptionsValidator().Validate(null, new GuardianOptions()).Failures!);

        Assert.StartsWith("Guardian:ProtectedServers ", failure, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("relative/settings.json")]
    [InlineData("settings.json")]
    [InlineData("")]
    [InlineData("/configs/.claude/")]
    [InlineData("~/settings.json")]
    public void Validate_SettingsPathNotAnAbsoluteFilePath_FailsNamingTheKey(string path) =>
        Assert.StartsWith("Guardian:SettingsPath ", SingleFailure(o => o.SettingsPath = path), StringComparison.Ordinal);

    public static TheoryData<string> PositiveDurations => ["SettleDelay", "PollInterval", "DirectoryCheckInterval", "RetryMinDelay"];

    [Theory]
    [MemberData(nameof(PositiveDurations))]
    public void Validate_DurationZeroOrNegative_FailsNamingTheKey(string setting)
    {
        var property = typeof(GuardianOptions).GetProperty(setting)!;
        foreach (var value in new[] { TimeSpan.Zero, TimeSpan.FromMilliseconds(-1) })
        {
            Assert.StartsWith($"Guardian:{setting} must be greater than zero", SingleFailure(o => property.SetValue(o, value)), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Validate_RetryMaxDelayZero_FailsNamingTheKey()
    {
        var result = Validate(o => o.RetryMaxDelay = TimeSpan.Zero);

        Assert.Contains(result.Failures!, f => f.StartsWith("Guardian:RetryMaxDelay must be greater than zero", StringComparison.Ordinal));
        Assert.All(result.Failures!, f => Assert.StartsWith("Guardian:RetryMaxDelay ", f, StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_ResyncIntervalUnderOneSecond_Fails()
    {
        Assert.StartsWith("Guardian:ResyncInterval ", SingleFailure(o => o.ResyncInterval = TimeSpan.FromMilliseconds(999)), StringComparison.Ordinal);
        Assert.True(Validate(o => o.ResyncInterval = TimeSpan.FromSeconds(1)).Succeeded);
    }

    [Fact]
    public void Validate_RetryMaxShorterThanRetryMin_Fails()
    {
        Assert.StartsWith("Guardian:RetryMaxDelay ", SingleFailure(o => o.RetryMinDelay = TimeSpan.FromSeconds(61)), StringComparison.Ordinal);
        Assert.True(Validate(o => o.RetryMaxDelay = o.RetryMinDelay).Succeeded);
    }

    [Theory]
    [InlineData(1023L, false)]
    [InlineData(1024L, true)]
    [InlineData(1L << 30, true)]
    [InlineData((1L << 30) + 1, false)]
    [InlineData(0L, false)]
    [InlineData(-1L, false)]
    public void Validate_MaxFileBytes_MustBeBetween1KiBAnd1GiB(long value, bool valid)
    {
        var result = Validate(o => o.MaxFileBytes = value);

        Assert.Equal(valid, result.Succeeded);
        if (!valid)
        {
            Assert.StartsWith("Guardian:MaxFileBytes ", Assert.Single(result.Failures!), StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData(0, false)]
    [InlineData(-1, false)]
    [InlineData(1, true)]
    [InlineData(1000, true)]
    [InlineData(1001, false)]
    public void Validate_KeepQuarantined_MustBeBetween1And1000(int value, bool valid)
    {
        var result = Validate(o => o.KeepQuarantined = value);

        Assert.Equal(valid, result.Succeeded);
        if (!valid)
        {
            Assert.StartsWith("Guardian:KeepQuarantined ", Assert.Single(result.Failures!), StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData(0, false)]
    [InlineData(-5, false)]
    [InlineData(1, true)]
    public void Validate_FightThreshold_MustBeAtLeastOne(int value, bool valid)
    {
        var result = Validate(o => o.FightThresholdPerMinute = value);

        Assert.Equal(valid, result.Succeeded);
        if (!valid)
        {
            Assert.StartsWith("Guardian:FightThresholdPerMinute ", Assert.Single(result.Failures!), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Validate_UndefinedEnums_FailNamingTheKey()
    {
        Assert.StartsWith("Guardian:DriftPolicy ", SingleFailure(o => o.DriftPolicy = (DriftPolicy)42), StringComparison.Ordinal);
        Assert.StartsWith("Guardian:Watch ", SingleFailure(o => o.Watch = (WatchMode)(-1)), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0644", true, 0x1A4)]
    [InlineData("644", true, 0x1A4)]
    [InlineData("0600", true, 0x180)]
    [InlineData("0777", true, 0x1FF)]
    [InlineData("0000", true, 0)]
    [InlineData("0", true, 0)]
    [InlineData("0778", false, 0)]
    [InlineData("1777", false, 0)]
    [InlineData("4755", false, 0)]
    [InlineData("07777", false, 0)]
    [InlineData("", false, 0)]
    [InlineData("rw-r--r--", false, 0)]
    [InlineData("-644", false, 0)]
    [InlineData(" 644", false, 0)]
    [InlineData("0x1A4", false, 0)]
    public void Validate_NewFileMode_MustBeOctalUpTo0777(string text, bool valid, int bits)
    {
        Assert.Equal(valid, GuardianOptionsValidator.TryParseMode(text, out var mode));
        Assert.Equal((UnixFileMode)bits, mode);
        var result = Validate(o => o.NewFileMode = text);
        Assert.Equal(valid, result.Succeeded);
        if (!valid)
        {
            Assert.StartsWith("Guardian:NewFileMode ", Assert.Single(result.Failures!), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Validate_NoProtectedServers_Fails() =>
        Assert.StartsWith("Guardian:ProtectedServers ", SingleFailure(o => o.ProtectedServers.Clear()), StringComparison.Ordinal);

    [Fact]
    public void Validate_ProtectedServerWithoutCommandOrUrl_FailsNamingTheServer()
    {
        var failure = SingleFailure(o => o.ProtectedServers["extra"] = new ProtectedServerOptions { Args = ["x"] });

        Assert.StartsWith("Guardian:ProtectedServers:extra:Command ", failure, StringComparison.Ordinal);
        Assert.True(Validate(o => o.ProtectedServers["http"] = new ProtectedServerOptions { Url = "https://x" }).Succeeded);
    }

    [Fact]
    public void Validate_ProtectedServerWithBlankName_Fails()
    {
        var failure = SingleFailure(o => o.ProtectedServers[" "] = new ProtectedServerOptions { Command = "c" });

        Assert.StartsWith("Guardian:ProtectedServers ", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_ProtectedServerWithNullArg_Fails()
    {
        var failure = SingleFailure(o => o.ProtectedServers["p"] = new ProtectedServerOptions { Command = "c", Args = ["a", null!] });

        Assert.StartsWith("Guardian:ProtectedServers:p:Args ", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_SeveralProblems_ReportsEachWithItsKey()
    {
        var result = Validate(o =>
        {
            o.SettingsPath = "rel";
            o.KeepQuarantined = 0;
            o.NewFileMode = "9";
        });

        Assert.Equal(3, result.Failures!.Count());
        Assert.All(result.Failures!, f => Assert.StartsWith("Guardian:", f, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("Guardian:SettleDelay", "quarter-second")]
    [InlineData("Guardian:MaxFileBytes", "16MiB")]
    [InlineData("Guardian:DriftPolicy", "Overwrite")]
    [InlineData("Guardian:KeepQuarantined", "many")]
    public void BindGuardian_ValueThatDoesNotConvert_ThrowsNamingTheKey(string key, string value)
    {
        var ex = Assert.Throws<OptionsValidationException>(() => Bind((key, value)));

        Assert.Contains(key, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Guardian:Debounc", "Debounc")]
    [InlineData("Guardian:settingspath2", "settingspath2")]
    [InlineData("Guardian:ProtectedServers:molecule-platform:Comand", "Comand")]
    public void BindGuardian_UnknownKey_ThrowsNamingTheKey(string key, string name)
    {
        var ex = Assert.Throws<OptionsValidationException>(() => Bind((key, "00:00:01")));

        Assert.Contains(name, ex.Message, StringComparison.Ordinal);
        Assert.Equal(GuardianOptions.SectionName, ex.OptionsName);
    }

    [Theory]
    [InlineData("Guardian:Debounc")]
    [InlineData("Guardian:ProtectedServers:molecule-platform:Comand")]
    public void BindGuardian_UnknownKey_MessageNamesTheFullKey(string key)
    {
        // The convention of every other configuration error (and what an SRE can grep for): the full key. The binder's
        // own message names only the last segment ('Comand'), not which section or which protected server it is in.
        var ex = Assert.Throws<OptionsValidationException>(() => Bind((key, "x")));

        Assert.Contains(key, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BindGuardian_KnownKeysAnyCase_Bind()
    {
        var options = Bind(("guardian:settledelay", "00:00:00.100"), ("Guardian:DRIFTPOLICY", "keep"), ("Guardian:Watch", "Poll"));

        Assert.Equal(TimeSpan.FromMilliseconds(100), options.SettleDelay);
        Assert.Equal(DriftPolicy.Keep, options.DriftPolicy);
        Assert.Equal(WatchMode.Poll, options.Watch);
    }

    [Theory]
    [InlineData("Guardian:SettleDelay", "1")]
    [InlineData("Guardian:ResyncInterval", "60")]
    [InlineData("Guardian:RetryMinDelay", "0.5")]
    [InlineData("Guardian:PollInterval", "1 second")]
    public void BindGuardian_DurationWithoutAUnit_ThrowsNamingTheKeyAndTheExpectedFormat(string key, string value)
    {
        // .NET alone reads "1" as one day: a settle delay of a day would never count a corrupt file as corrupt.
        var ex = Assert.Throws<OptionsValidationException>(() => Bind((key, value)));

        var failure = Assert.Single(ex.Failures);
        Assert.Equal($"{key} must be {Duration.Expected} (got '{value}').", failure);
    }

    [Theory]
    [InlineData("250ms", 250)]
    [InlineData("2s", 2000)]
    [InlineData("1.5m", 90_000)]
    [InlineData("1h", 3_600_000)]
    [InlineData("00:00:00.250", 250)]
    public void BindGuardian_DurationWithAUnitOrColons_Binds(string value, int expectedMs)
    {
        var options = Bind(("Guardian:SettleDelay", value), ("Guardian:RetryMaxDelay", value));

        Assert.Equal(TimeSpan.FromMilliseconds(expectedMs), options.SettleDelay);
        Assert.Equal(TimeSpan.FromMilliseconds(expectedMs), options.RetryMaxDelay);
    }

    [Fact]
    public void BindGuardian_ShippedAppsettings_BindAndValidate()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "appsettings.json");
        var configuration = new ConfigurationBuilder().AddJsonFile(path).Build();
        var options = new GuardianOptions();

        GuardianServiceCollectionExtensions.BindGuardian(configuration, options);

        Assert.True(new GuardianOptionsValidator().Validate(null, options).Succeeded);
        Assert.Equal(TimeSpan.FromMilliseconds(500), options.SettleDelay);
        Assert.Equal(TimeSpan.FromMinutes(1), options.ResyncInterval);
        Assert.Empty(options.RetiredKeysSet);
    }

    [Theory]
    [InlineData("Guardian:Debounce", "00:00:00.250")]
    [InlineData("Guardian:MaxDelay", "1")]
    [InlineData("guardian:debounce", "whatever")]
    public void BindGuardian_RetiredKey_IsAcceptedAndNoted(string key, string value)
    {
        // A setting that no longer does anything must not stop a guardian (exit 78 would take the protection away).
        var options = Bind((key, value));

        var noted = Assert.Single(options.RetiredKeysSet);
        Assert.Equal(key.Split(':')[1], noted.Split(':')[1], ignoreCase: true);
        Assert.StartsWith("Guardian:", noted, StringComparison.Ordinal);
    }

    [Fact]
    public void BindGuardian_NoProtectedServers_GetsTheManagementDefault()
    {
        var options = Bind();

        var server = Assert.Single(ProtectedServerSpecs.FromOptions(options));
        Assert.Equal("molecule-platform", server.Name);
        Assert.Equal(Describe(ProtectedServerSpecs.ManagementDefault()), Describe(server));
    }

    /// <summary>A server as text: its spec and every accepted shape, in order.</summary>
    private static string Describe(ProtectedServer server) =>
        server.Spec?.GetRawText() + " " + string.Join(" ", server.Accepted.Select(a =>
            $"{a.Name}:{a.Command}:[{string.Join(",", a.Flags)}]:[{string.Join(",", a.Args)}]:[{string.Join(",", a.EnvKeys)}]"));

    [Fact]
    public void BindGuardian_ConfiguredProtectedServer_ReplacesTheDefault()
    {
        var options = Bind(("Guardian:ProtectedServers:mine:Command", "my-mcp"), ("Guardian:ProtectedServers:mine:Args:0", "--x"));

        var server = Assert.Single(ProtectedServerSpecs.FromOptions(options));
        Assert.Equal("mine", server.Name);
        Assert.Equal("""{"command":"my-mcp","args":["--x"]}""", server.Spec!.Value.GetRawText());
    }

    [Fact]
    public void BindGuardian_RepoAppsettings_BindsToExactlyTheCodeDefaults()
    {
        var configuration = new ConfigurationBuilder().AddJsonFile(RepoPaths.Of("appsettings.json"), optional: false).Build();
        var fromFile = new GuardianOptions();
        GuardianServiceCollectionExtensions.BindGuardian(configuration, fromFile);
        var defaults = Valid();

        foreach (var property in typeof(GuardianOptions).GetProperties().Where(p => p.Name is not nameof(GuardianOptions.ProtectedServers) and not nameof(GuardianOptions.Gate)))
        {
            Assert.True(Equals(property.GetValue(defaults), property.GetValue(fromFile)),
                $"appsettings.json Guardian:{property.Name} = {property.GetValue(fromFile)}, code default = {property.GetValue(defaults)}");
        }

        var fileServers = ProtectedServerSpecs.FromOptions(fromFile);
        var defaultServers = ProtectedServerSpecs.FromOptions(defaults);
        Assert.Equal(defaultServers.Select(s => s.Name), fileServers.Select(s => s.Name));
        Assert.Equal(Describe(ProtectedServerSpecs.ManagementDefault()), Describe(Assert.Single(fileServers)));
        Assert.Equal((defaults.Gate.Marker, defaults.Gate.ManagementPlugin), (fromFile.Gate.Marker, fromFile.Gate.ManagementPlugin));
        Assert.True(new GuardianOptionsValidator().Validate(null, fromFile).Succeeded);
    }

    [Fact]
    public void BindGuardian_RepoAppsettings_SetsEveryGuardianSetting()
    {
        // A setting added to GuardianOptions must also be listed in appsettings.json (the operator's reference).
        var configuration = new ConfigurationBuilder().AddJsonFile(RepoPaths.Of("appsettings.json"), optional: false).Build();
        var section = configuration.GetSection(GuardianOptions.SectionName);

        var listed = section.GetChildren().Select(c => c.Key).ToHashSet(StringComparer.OrdinalIgnoreCase);
        Assert.All(typeof(GuardianOptions).GetProperties(), p => Assert.Contains(p.Name, listed));
    }
}
