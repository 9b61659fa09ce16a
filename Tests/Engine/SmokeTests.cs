using UmlTlb.Views;
using Xunit;

namespace UmlTlb.Tests;

public class SmokeTests
{
    [Fact]
    public void StartsAndRunsGetpid()
    {
        var stub = StubProcess.Start();
        try
        {
            Assert.Equal(StubState.Running, stub.State);
            Assert.Equal(stub.TracerThreadId, ProcStatus.TryRead(stub.ProcessId)!.TracerPid);
            Assert.Equal(stub.ProcessId, stub.RunSingleSyscall(39));
            var (results, executed) = stub.RunBatchSyscalls(false, (39, []), (39, []));
            Assert.Equal(2, executed);
            Assert.Equal(stub.ProcessId, results[1]);
            foreach (var m in stub.GetMappings(all: true)) Console.WriteLine(m);
            Console.WriteLine(string.Join(",", Directory.GetFiles($"/proc/{stub.ProcessId}/fd").Select(f => Path.GetFileName(f) + "->" + new FileInfo(f).LinkTarget)));
        }
        finally
        {
            stub.Stop();
        }
        Assert.Equal(StubState.Exited, stub.State);
    }
}
