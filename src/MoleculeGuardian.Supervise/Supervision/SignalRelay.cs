using System.Runtime.InteropServices;

namespace MoleculeGuardian.Supervision;

/// <summary>Hands every signal <see cref="Signals"/> routes to the supervisor, instead of its default action.</summary>
internal static class SignalRelay
{
    /// <summary>Registers a handler per signal; disposing the result puts the defaults back.</summary>
    public static IDisposable Register(Action<int> onSignal)
    {
        ArgumentNullException.ThrowIfNull(onSignal);
        var registrations = new List<PosixSignalRegistration>();
        foreach (var signal in Signals.Handled)
        {
            // On Unix a raw signal number cast to PosixSignal is taken as that number. Cancel: the default would end
            // the supervisor (SIGHUP, SIGUSR1...) or stop it (SIGTSTP) and orphan its children.
            registrations.Add(PosixSignalRegistration.Create((PosixSignal)signal, context =>
            {
                context.Cancel = true;
                onSignal(signal);
            }));
        }

        return new Registrations(registrations);
    }

    private sealed class Registrations(List<PosixSignalRegistration> registrations) : IDisposable
    {
        public void Dispose()
        {
            foreach (var registration in registrations)
            {
                registration.Dispose();
            }
        }
    }
}
