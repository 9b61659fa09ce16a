namespace UmlTlb.Sources;

/// <summary>
/// A file read as a stream of ops, one item at a time: nothing is read ahead
/// beyond the reader's buffer, so a file of any size is read in bounded memory.
/// </summary>
internal abstract class VmOpSource : IDisposable
{
    private readonly FileStream _file;
    private readonly CountingStream _counted;

    protected VmOpSource(string path)
    {
        Path = path;
        // FileShare.ReadWrite: a trace that strace is still writing can be read as it is.
        _file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 16, FileOptions.SequentialScan);
        _counted = new CountingStream(_file);
        TotalBytes = _file.CanSeek ? _file.Length : -1;
    }

    public string Path { get; }

    protected Stream File => _counted;

    /// <summary>Bytes of the file consumed so far (the reader's buffer included), for progress.</summary>
    public long BytesRead => _counted.BytesRead;

    /// <summary>The file's size when it was opened; -1 for a pipe or FIFO.</summary>
    public long TotalBytes { get; }

    /// <summary>Reads the next item; false at the end of the file.</summary>
    public abstract bool Read(out SourceItem item);

    /// <summary>What the reader wants said once the file is done (verbose), such as what it did not replay.</summary>
    public virtual IEnumerable<string> Notes => Array.Empty<string>();

    /// <summary>A problem with the file as a whole, found at its end (such as a -ProcessId that never appeared).</summary>
    public virtual SourceRowError? FinalError => null;

    public virtual void Dispose() => _file.Dispose();

    public static VmOpSource Open(string path, VmOpSourceFormat format, SourceTarget target, int? processId) => format switch
    {
        VmOpSourceFormat.Csv => new CsvVmOpSource(path),
        VmOpSourceFormat.Strace => new StraceVmOpSource(path, target, processId),
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, "Use Csv or Strace."),
    };
}
