namespace UmlTlb.Sources;

/// <summary>Where a <see cref="SourceFlush"/> sends what it has to say, as it happens.</summary>
public interface ISourceFlushSink
{
    /// <summary>A host op's result (every one, or only failures when the caller asked for a summary).</summary>
    void Result(VmOpResult result);

    /// <summary>A row that did not become an op; the rows around it still run.</summary>
    void RowError(SourceRowError error);

    /// <summary>A recorded call that is deliberately not replayed, and why.</summary>
    void LeftOut(string path, long line, string why);

    /// <summary>Something worth a verbose line once a file is done.</summary>
    void Note(string text);

    /// <summary>How far into the current file the reader is.</summary>
    void Progress(string path, int fileIndex, int fileCount, long bytesRead, long totalBytes);
}
