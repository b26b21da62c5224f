using System.Text.Json;

namespace MoleculeGuardian.Json;

/// <summary>
/// A parsed settings file, read the way the Python runtime's <c>json.loads</c> reads it. Backed by a pooled
/// <see cref="JsonDocument"/>: one 12-byte row per JSON value and the original bytes, no object per value, numbers kept
/// as their text. That is what bounds a heal's memory by the file's size: a tree of nodes cost up to 120 times the file
/// (a file of numbers), this costs at most <see cref="SettingsJson.BytesPerValue"/> bytes for each of at most
/// <see cref="SettingsJson.MaxValues"/> values on top of the bytes themselves. Dispose it to give the rows back.
/// </summary>
internal sealed class SettingsDocument : IDisposable
{
    private readonly JsonDocument _document;

    internal SettingsDocument(JsonDocument document, bool duplicateKeys, int values)
    {
        _document = document;
        DuplicateKeys = duplicateKeys;
        Values = values;
    }

    /// <summary>
    /// The root value. Where an object repeats a key, <see cref="JsonElement.TryGetProperty(string, out JsonElement)"/>
    /// finds the last one, as Python does; enumerating shows every repeat (the writer folds them).
    /// </summary>
    public JsonElement Root => _document.RootElement;

    /// <summary>True when some object repeats a key: writing the document back drops every value but the last.</summary>
    public bool DuplicateKeys { get; }

    /// <summary>How many JSON values (objects, arrays, keys' values, array items) the document has.</summary>
    public int Values { get; }

    public void Dispose() => _document.Dispose();
}

/// <summary>Why bytes did not become a <see cref="SettingsDocument"/>.</summary>
internal enum ParseFailure
{
    None,

    /// <summary>Not a JSON document (empty, cut short, not UTF-8, not JSON): a writer mid-write, or a corrupt file.</summary>
    Invalid,

    /// <summary>Valid as far as it was read, but it has more values than a heal may hold: refused, never repaired.</summary>
    TooManyValues,
}
