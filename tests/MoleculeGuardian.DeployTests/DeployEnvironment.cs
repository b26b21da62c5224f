using System.Diagnostics;
using MoleculeGuardian.Tests.Support;

namespace MoleculeGuardian.DeployTests;

[CollectionDefinition(Name)]
public sealed class DeployTestGroup : ICollectionFixture<DeployEnvironment>
{
    /// <summary>One collection: the tests run one at a time, so the generous time bounds are not shared with a neighbour.</summary>
    public const string Name = "deploy";
}

/// <summary>
/// What the deploy tests share: the checks that the machine can run them, the AOT binary published as the README
/// says (for the systemd unit) and the sidecar image built from deploy/container/Dockerfile, each made once.
/// </summary>
public sealed class DeployEnvironment : IAsyncLifetime
{
    public const string SystemdImage = "localhost/molecule-guardian-standin/systemd:12";
    public const string ConciergeStandInImage = "localhost/molecule-guardian-standin/concierge:12";
    /// <summary>The image built from the Dockerfile, or MG_DEPLOY_SIDECAR_IMAGE (an image built elsewhere, e.g. from
    /// old code that must fail the tests; then nothing is built).</summary>
    public static readonly string SidecarImage = Environment.GetEnvironmentVariable("MG_DEPLOY_SIDECAR_IMAGE") is { Length: > 0 } image
        ? image
        : "localhost/molecule-guardian-test/concierge-guarded:test";

    private readonly Lazy<Task<string>> _published = new(PublishAsync);
    private readonly Lazy<Task> _sidecar = new(BuildSidecarAsync);
    private readonly DirectoryInfo _work = Directory.CreateTempSubdirectory("mg-deploy-");

    /// <summary>Root-owned scratch space (bind mounts, tarballs); removed at the end.</summary>
    public string WorkDirectory => _work.FullName;

    /// <summary>The directory holding the three binaries and appsettings.json from `dotnet publish -c Release -r linux-x64` of each project.</summary>
    public Task<string> PublishedAsync() => _published.Value;

    public Task SidecarImageAsync() => _sidecar.Value;

    public async Task InitializeAsync()
    {
        Assert.True(Environment.UserName == "root", "the deploy tests run rootful podman and systemd containers: run them as root");
        foreach (var image in new[] { SystemdImage, ConciergeStandInImage })
        {
            Assert.True(await Podman.ImageExistsAsync(image), $"stand-in image {image} is missing: run deploy/test/prepare-stand-ins.sh first");
        }
    }

    public Task DisposeAsync()
    {
        _work.Delete(recursive: true);
        return Task.CompletedTask;
    }

    private static async Task<string> PublishAsync()
    {
        var output = Path.Combine(Path.GetTempPath(), "mg-deploy-publish");
        var prebuilt = Environment.GetEnvironmentVariable("MG_DEPLOY_PUBLISHED");
        if (!string.IsNullOrEmpty(prebuilt))
        {
            // For checking the tests against another build (e.g. an old binary that must fail them).
            return prebuilt;
        }

        // What ships, as deploy/README.md publishes it: each executable's project, into one directory.
        foreach (var project in new[] { "MoleculeGuardian", "MoleculeGuardian.Otel", "MoleculeGuardian.Supervise" })
        {
            await PublishOneAsync(project, output);
        }

        return output;
    }

    private static async Task PublishOneAsync(string project, string output)
    {
        using var publish = ProcessRunner.Start("dotnet",
            ["publish", RepoPaths.Of("src", project), "-c", "Release", "-r", "linux-x64", "-o", output]);
        var exitCode = await publish.WaitForExitAsync(TimeSpan.FromMinutes(10));
        Assert.True(exitCode == 0, $"dotnet publish exited {exitCode} (Native AOT needs clang and zlib1g-dev):\n{publish.Output}");
    }

    /// <summary>
    /// The Dockerfile built as a user would, on the stand-in concierge, with nothing pulled: its two base images are
    /// the stand-ins tagged with the exact names of its ARG defaults.
    /// </summary>
    private static async Task BuildSidecarAsync()
    {
        if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable("MG_DEPLOY_SIDECAR_IMAGE")))
        {
            return;
        }

        var watch = Stopwatch.StartNew();
        await Podman.RunAsync(TimeSpan.FromMinutes(15), "build", "--pull=never",
            "-f", RepoPaths.Of("deploy", "container", "Dockerfile"),
            "--ignorefile", RepoPaths.Of("deploy", "container", "Dockerfile.dockerignore"),
            "--build-arg", $"CONCIERGE_IMAGE={ConciergeStandInImage}",
            "-t", SidecarImage, RepoPaths.Root);
        Console.Error.WriteLine($"sidecar image built in {watch.Elapsed.TotalSeconds:0} s");
    }
}
