namespace UmlTlb.Sources;

/// <summary>
/// Reads files of ops and runs them in a stub without a per-op caller: each row is
/// validated, queued with the seed's merging, and every data area that fills runs
/// at once, so only one data area's worth of ops is ever held. Several files run in
/// order as one flush; a bad row is reported and skipped, the rows around it run.
/// </summary>
public static class SourceFlush
{
    private const int ProgressEvery = 1 << 14;

    public static VmFlushSummary Run(StubProcess stub, IReadOnlyList<string> paths, SourceFlushOptions options, ISourceFlushSink sink)
    {
        ArgumentNullException.ThrowIfNull(paths);
        // Its own owner: the queue may hold other callers' ops, whose results are theirs.
        var owner = new VmOpOwner($"Invoke-VmFlush -Path {string.Join(", ", paths)}");
        var flush = stub.BeginFlush(options.ContinueOnError, keepResults: options.ResultForEveryOp);
        flush.Adopt(owner);
        var origins = new Queue<(long Sequence, int File, long Line)>();
        long leftOut = 0, rejected = 0;
        bool everyOp = options.ResultForEveryOp;
        var target = SourceTarget.Of(stub);

        void Deliver(VmOpResult result)
        {
            while (origins.Count > 0 && origins.Peek().Sequence < result.Sequence)
            {
                origins.Dequeue();
            }
            if (origins.Count > 0 && origins.Peek().Sequence == result.Sequence)
            {
                var (_, file, line) = origins.Dequeue();
                result.Source = paths[file];
                result.Line = line;
            }
            if (everyOp || result.Status == VmOpStatus.Failed)
            {
                sink.Result(result);
            }
        }

        bool finished = false;
        try
        {
            for (int f = 0; f < paths.Count && !options.Cancellation.IsCancellationRequested; f++)
            {
                string path = paths[f];
                VmOpSource? source = null;
                long line = 0;
                try
                {
                    source = VmOpSource.Open(path, options.Format, target, options.ProcessId);
                    long items = 0;
                    sink.Progress(path, f, paths.Count, 0, source.TotalBytes);
                    while (source.Read(out var item))
                    {
                        if (options.Cancellation.IsCancellationRequested)
                        {
                            break;
                        }
                        line = item.Line;
                        switch (item.Kind)
                        {
                            case SourceItemKind.BadRow:
                                rejected++;
                                sink.RowError(new SourceRowError(path, item.Line, item.Field!, item.Value!, item.Reason!, item.Message!));
                                break;
                            case SourceItemKind.LeftOut:
                                leftOut++;
                                sink.LeftOut(path, item.Line, item.Message!);
                                break;
                            default:
                                if (stub.Validate(item.Operation, item.Address, item.Length, item.Protection, item.Offset) is { } rejection)
                                {
                                    rejected++;
                                    sink.RowError(RowError(path, item, rejection));
                                    break;
                                }
                                var queued = stub.Enqueue(item.Operation, item.Address, item.Length, item.Protection, item.Offset, owner: owner);
                                if (!queued.Coalesced)
                                {
                                    origins.Enqueue((queued.HostSequence, f, item.Line));
                                }
                                flush.RunFullDataAreas(Deliver);
                                break;
                        }
                        if (++items % ProgressEvery == 0)
                        {
                            sink.Progress(path, f, paths.Count, source.BytesRead, source.TotalBytes);
                        }
                    }
                    sink.Progress(path, f, paths.Count, source.BytesRead, source.TotalBytes);
                    if (source.FinalError is { } error)
                    {
                        sink.RowError(error);
                    }
                    foreach (var note in source.Notes)
                    {
                        sink.Note(note);
                    }
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException or NotSupportedException)
                {
                    // A file that cannot be opened or read on: its good rows so far stay queued, the next file follows.
                    rejected++;
                    sink.RowError(new SourceRowError(path, line, "Path", path, "FileUnreadable", e.Message));
                }
                finally
                {
                    source?.Dispose();
                }
            }
            finished = !options.Cancellation.IsCancellationRequested;
        }
        finally
        {
            if (!finished)
            {
                // Stopped (Ctrl+C, an unreadable file, a sink that threw): what was queued but
                // not run is dropped here, so that it never runs later under another flush.
                long dropped = owner.DiscardPending();
                if (dropped > 0)
                {
                    sink.Note($"Stopped: {dropped} queued ops were discarded unrun.");
                }
            }
        }
        var summary = flush.Complete(Deliver);
        summary.Source = string.Join(", ", paths);
        summary.LeftOut = leftOut;
        summary.Rejected = rejected;
        summary.Stopped = !finished;
        return summary;
    }

    /// <summary>A stub's refusal of a parsed op, told as the field of the row that caused it.</summary>
    private static SourceRowError RowError(string path, in SourceItem item, VmOpRejection rejection)
    {
        (string field, ulong value) = rejection.Reason switch
        {
            VmOpRejectionReason.AddressNotAligned or VmOpRejectionReason.RangeBeyondUserLimit => ("Address", item.Address),
            VmOpRejectionReason.OffsetNotAligned or VmOpRejectionReason.BeyondPhysicalMemory => ("Offset", item.Offset),
            VmOpRejectionReason.UnknownProtection => ("Protection", (ulong)item.Protection),
            _ => ("Length", item.Length),
        };
        return new SourceRowError(path, item.Line, field, $"0x{value:x}", rejection.Reason.ToString(), rejection.Message);
    }
}
