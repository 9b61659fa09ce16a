using Xunit;

// Every test traces real processes; running them one at a time keeps the
// context-switch counts and the child-process checks free of other tests' noise.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

// ptrace, /proc and memfds: the suite runs on Linux only.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
