using nietras.SeparatedValues;

namespace UmlTlb.Sources;

/// <summary>
/// Rows as Add-VmOp takes them from Import-Csv: a header naming the columns (Operation
/// or its aliases Type, Kind, Op; Address; Length; Protection or Prot; Offset), any
/// order, any case, other columns ignored, RFC 4180 quoting. Each field is read with
/// <see cref="VmOpFieldParser"/>, so a row fails exactly where Add-VmOp would.
/// </summary>
internal sealed class CsvVmOpSource : VmOpSource
{
    private static readonly string[][] Columns =
    [
        ["Operation", "Type", "Kind", "Op"],
        ["Address"],
        ["Length"],
        ["Protection", "Prot"],
        ["Offset"],
    ];

    // The same error id Add-VmOp gives for a missing Address or Length, or a blank Mmap Offset.
    private const string MissingField = "VmOpFieldMissing";

    private const int OperationColumn = 0, AddressColumn = 1, LengthColumn = 2, ProtectionColumn = 3, OffsetColumn = 4;

    private readonly SepReader _reader;
    private readonly int[] _index = new int[Columns.Length];
    private readonly ProtectionCache _protections = new();
    private string? _headerProblem;

    public CsvVmOpSource(string path) : base(path)
    {
        _reader = Sep.New(',').Reader(o => o with { Unescape = true, DisableColCountCheck = true }).From(File);
        var names = _reader.Header.ColNames;
        for (int c = 0; c < Columns.Length; c++)
        {
            _index[c] = -1;
            for (int i = 0; i < names.Count && _index[c] < 0; i++)
            {
                if (Columns[c].Any(alias => alias.Equals(names[i].Trim(), StringComparison.OrdinalIgnoreCase)))
                {
                    _index[c] = i;
                }
            }
        }
        var missing = new[] { OperationColumn, AddressColumn, LengthColumn }.Where(c => _index[c] < 0).Select(c => Columns[c][0]).ToArray();
        if (missing.Length > 0)
        {
            _headerProblem = $"The header has no {string.Join(" or ", missing)} column: it has {(names.Count == 0 ? "no columns" : string.Join(", ", names))}. "
                + "Name the columns Operation, Address, Length, Protection, Offset, as Add-VmOp's parameters.";
        }
    }

    public override bool Read(out SourceItem item)
    {
        if (_headerProblem is not null)
        {
            item = SourceItem.Bad(1, "MissingField", "header", string.Join(",", _reader.Header.ColNames), _headerProblem);
            _headerProblem = null;
            _index[OperationColumn] = int.MaxValue; // nothing below can be read without the columns
            return true;
        }
        if (_index[OperationColumn] == int.MaxValue)
        {
            item = default;
            return false;
        }
        while (_reader.MoveNext())
        {
            var row = _reader.Current;
            long line = row.LineNumberFrom;
            var operation = Field(row, OperationColumn);
            if (operation.IsWhiteSpace() && IsBlank(row))
            {
                continue; // a blank line, as Import-Csv skips it
            }
            item = Parse(row, line, operation);
            return true;
        }
        item = default;
        return false;
    }

    public override void Dispose()
    {
        _reader.Dispose();
        base.Dispose();
    }

    private SourceItem Parse(SepReader.Row row, long line, ReadOnlySpan<char> operation)
    {
        if (operation.IsWhiteSpace())
        {
            return SourceItem.Bad(line, nameof(VmOpRejectionReason.UnknownOperation), "Operation", operation.ToString(), VmOpFieldParser.MissingOperationError);
        }
        if (!VmOpFieldParser.TryParseOperation(operation, out var kind))
        {
            return SourceItem.Bad(line, nameof(VmOpRejectionReason.UnknownOperation), "Operation", operation.ToString(), VmOpFieldParser.OperationError(operation.ToString()));
        }
        var text = Field(row, AddressColumn);
        if (text.IsWhiteSpace())
        {
            return SourceItem.Bad(line, MissingField, "Address", text.ToString(), VmOpFieldParser.MissingNumberError("Address"));
        }
        if (!VmOpFieldParser.TryParseNumber(text, out ulong address))
        {
            return SourceItem.Bad(line, "NotANumber", "Address", text.ToString(), VmOpFieldParser.NumberError(text.ToString()));
        }
        text = Field(row, LengthColumn);
        if (text.IsWhiteSpace())
        {
            return SourceItem.Bad(line, MissingField, "Length", text.ToString(), VmOpFieldParser.MissingNumberError("Length"));
        }
        if (!VmOpFieldParser.TryParseNumber(text, out ulong length))
        {
            return SourceItem.Bad(line, "NotANumber", "Length", text.ToString(), VmOpFieldParser.NumberError(text.ToString()));
        }
        text = Field(row, ProtectionColumn);
        if (!_protections.TryParse(text, out var protection))
        {
            return SourceItem.Bad(line, nameof(VmOpRejectionReason.UnknownProtection), "Protection", text.ToString(), VmOpFieldParser.ProtectionError(text.ToString()));
        }
        text = Field(row, OffsetColumn);
        // As Add-VmOp: no Offset column means 0; a blank Offset cell is an error only for an Mmap.
        if (kind == VmOpKind.Mmap && _index[OffsetColumn] >= 0 && text.IsWhiteSpace())
        {
            return SourceItem.Bad(line, MissingField, "Offset", text.ToString(), VmOpFieldParser.BlankMmapOffsetError);
        }
        if (!VmOpFieldParser.TryParseNumber(text, out ulong offset))
        {
            return SourceItem.Bad(line, "NotANumber", "Offset", text.ToString(), VmOpFieldParser.NumberError(text.ToString()));
        }
        return SourceItem.Op(line, kind, address, length, protection, offset);
    }

    /// <summary>The row's cell for a column; empty when the file has no such column or the row is short.</summary>
    private ReadOnlySpan<char> Field(SepReader.Row row, int column)
    {
        int i = _index[column];
        return i >= 0 && i < row.ColCount ? row[i].Span : ReadOnlySpan<char>.Empty;
    }

    private static bool IsBlank(SepReader.Row row)
    {
        for (int i = 0; i < row.ColCount; i++)
        {
            if (!row[i].Span.IsWhiteSpace())
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>
    /// A file uses a handful of protection spellings: remembering them keeps the
    /// per-row cost free of string allocations.
    /// </summary>
    private sealed class ProtectionCache
    {
        private readonly List<(string Text, VmProtection Value)> _seen = new();

        public bool TryParse(ReadOnlySpan<char> text, out VmProtection protection)
        {
            foreach (var (known, value) in _seen)
            {
                if (text.SequenceEqual(known))
                {
                    protection = value;
                    return true;
                }
            }
            string s = text.ToString();
            if (!VmOpFieldParser.TryParseProtection(s, out protection))
            {
                return false;
            }
            if (_seen.Count < 32)
            {
                _seen.Add((s, protection));
            }
            return true;
        }
    }
}
