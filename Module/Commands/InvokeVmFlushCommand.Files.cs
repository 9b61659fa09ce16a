using System.Management.Automation;
using UmlTlb.Sources;

namespace UmlTlb.Commands;

/// <summary>
/// Invoke-VmFlush -Path / -LiteralPath: the engine reads the files itself (no
/// per-row parameter binding), so a million-row file runs at the stub's speed.
/// </summary>
public sealed partial class InvokeVmFlushCommand
{
    private const string PipelineSet = "Pipeline", PathSet = "Path", LiteralPathSet = "LiteralPath";

    private readonly CancellationTokenSource _stop = new();

    #region Parameters

    /// <summary>Files of ops, wildcards allowed; several run in order as one flush.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = PathSet)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = [];

    /// <summary>Files of ops, taken as written: no wildcards.</summary>
    [Parameter(Mandatory = true, ParameterSetName = LiteralPathSet)]
    [Alias("PSPath", "LP")]
    [ValidateNotNullOrEmpty]
    public string[] LiteralPath { get; set; } = [];

    /// <summary>Csv (the columns of Add-VmOp's parameters) or Strace (strace -f output).</summary>
    [Parameter(ParameterSetName = PathSet)]
    [Parameter(ParameterSetName = LiteralPathSet)]
    public VmOpSourceFormat Format { get; set; } = VmOpSourceFormat.Csv;

    /// <summary>With -Format Strace: the pid, as strace printed it, whose address space is replayed; default the first.</summary>
    [Parameter(ParameterSetName = PathSet)]
    [Parameter(ParameterSetName = LiteralPathSet)]
    [ValidateRange(1, int.MaxValue)]
    public int ProcessId { get; set; }

    #endregion

    /// <summary>
    /// Ctrl+C (or PowerShell.Stop()): a file flush stops within a data area; a pipeline flush runs
    /// no further data area, and the ops it leaves are discarded and counted.
    /// </summary>
    protected override void StopProcessing()
    {
        _stop.Cancel();
        foreach (var flush in Snapshot())
        {
            flush.Cancel();
        }
    }

    private void FlushFiles()
    {
        if (MyInvocation.BoundParameters.ContainsKey(nameof(ProcessId)) && Format != VmOpSourceFormat.Strace)
        {
            ThrowTerminatingError(Errors.ProcessIdNeedsStrace(ProcessId, Format));
        }
        var stub = RequireStub();
        var files = ResolveFiles();
        if (files.Count == 0 || !ShouldProcess($"stub '{stub.Name}'", $"Run the ops of {string.Join(", ", files)}"))
        {
            return;
        }
        var sink = new FileFlushSink(this);
        try
        {
            var summary = SourceFlush.Run(stub, files, new SourceFlushOptions
            {
                Format = Format,
                ProcessId = MyInvocation.BoundParameters.ContainsKey(nameof(ProcessId)) ? ProcessId : null,
                ContinueOnError = ContinueOnError,
                ResultForEveryOp = !Summary,
                Cancellation = _stop.Token,
            }, sink);
            sink.Done();
            if (Summary)
            {
                WriteObject(summary);
            }
        }
        catch (StubExitedException e)
        {
            WriteError(Errors.StubNotRunning(e, stub));
        }
    }

    /// <summary>The files to read, in order; each path that names none is a non-terminating error.</summary>
    private List<string> ResolveFiles()
    {
        var files = new List<string>();
        bool literal = ParameterSetName == LiteralPathSet;
        foreach (string path in literal ? LiteralPath : Path)
        {
            IEnumerable<string> found;
            ProviderInfo provider;
            try
            {
                found = literal
                    ? [SessionState.Path.GetUnresolvedProviderPathFromPSPath(path, out provider, out _)]
                    : SessionState.Path.GetResolvedProviderPathFromPSPath(path, out provider);
            }
            catch (Exception e) when (e is ItemNotFoundException or System.Management.Automation.DriveNotFoundException or ProviderNotFoundException or NotSupportedException)
            {
                WriteError(Errors.FileNotFound(path, e.Message, literal));
                continue;
            }
            if (provider.Name != "FileSystem")
            {
                WriteError(Errors.FileNotFound(path, $"'{path}' is not a file system path (it is in the {provider.Name} provider).", literal));
                continue;
            }
            int before = files.Count;
            foreach (string file in found)
            {
                if (File.Exists(file))
                {
                    files.Add(file);
                }
                else if (literal || !Directory.Exists(file))
                {
                    WriteError(Errors.FileNotFound(path, $"Cannot find the file '{file}' because it does not exist.", literal));
                }
            }
            if (files.Count == before && !literal && WildcardPattern.ContainsWildcardCharacters(path))
            {
                WriteError(Errors.FileNotFound(path, $"No file matches '{path}'.", literal));
            }
        }
        return files;
    }

    /// <summary>Turns what the engine reports into the cmdlet's streams.</summary>
    private sealed class FileFlushSink : ISourceFlushSink
    {
        private const int ProgressId = 0x766d;
        private readonly InvokeVmFlushCommand _cmdlet;
        private readonly ProgressRecord _progress = new(ProgressId, "Invoke-VmFlush", "Reading");
        private bool _progressShown;

        public FileFlushSink(InvokeVmFlushCommand cmdlet) => _cmdlet = cmdlet;

        public void Result(VmOpResult result)
        {
            if (_cmdlet.Summary)
            {
                _cmdlet.WriteFailure(result);
            }
            else
            {
                _cmdlet.WriteResult(result);
            }
        }

        public void RowError(SourceRowError error) => _cmdlet.WriteError(Errors.BadRow(error));

        public void LeftOut(string path, long line, string why) => _cmdlet.WriteVerbose($"{path}, line {line}: left out: {why}.");

        public void Note(string text) => _cmdlet.WriteVerbose(text);

        public void Progress(string path, int fileIndex, int fileCount, long bytesRead, long totalBytes)
        {
            _progress.StatusDescription = fileCount > 1 ? $"{path} ({fileIndex + 1} of {fileCount})" : path;
            _progress.PercentComplete = totalBytes > 0 ? (int)Math.Min(100, bytesRead * 100 / totalBytes) : -1;
            _progress.CurrentOperation = $"{bytesRead:N0} bytes read";
            _progressShown = true;
            _cmdlet.WriteProgress(_progress);
        }

        public void Done()
        {
            if (_progressShown)
            {
                _progress.RecordType = ProgressRecordType.Completed;
                _cmdlet.WriteProgress(_progress);
            }
        }
    }
}
