/*
 * Same-run C baseline for the UmlTlb bench: drives the engine's own x86_64 stub with plain
 * ptrace (SETREGS, CONT, waitpid; no hand-off), like the reference program of ptrace-notes.md,
 * so that the engine is compared with C on the machine as it is during the same run.
 * build.ps1 Bench builds and runs it:
 *   gcc -O2 -I Stubs -o out/bench/cref Bench/cref/cref.c
 *   out/bench/cref /proc/<bench pid>/fd/<the engine's stub memfd> [N] [colo|any] [handler|nohandler]
 * "handler" installs an empty SIGCHLD handler (SA_RESTART), as a .NET host has one.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "layout.h"

#define PAGE ((unsigned long)PAGE_SIZE)
#define BASE 0x10000000UL
static unsigned long *data;
static pid_t pid;
static struct user_regs_struct init;
static int N = 4096;

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1e9 + t.tv_nsec; }
static void die(const char *m) { perror(m); exit(1); }
static void on_chld(int s) { (void)s; }

static void run_to_trap(struct user_regs_struct *r)
{
	int st;
	r->orig_rax = -1;
	if (ptrace(PTRACE_SETREGS, pid, 0, r)) die("SETREGS");
	if (ptrace(PTRACE_CONT, pid, 0, 0)) die("CONT");
	while (waitpid(pid, &st, __WALL) < 0) ;
	if (!WIFSTOPPED(st) || WSTOPSIG(st) != SIGTRAP) { fprintf(stderr, "status %x\n", st); exit(1); }
}

static long single(long nr, unsigned long a, unsigned long b, unsigned long c, unsigned long d, unsigned long e, unsigned long f)
{
	struct user_regs_struct r = init;
	r.rax = nr; r.rdi = a; r.rsi = b; r.rdx = c; r.r10 = d; r.r8 = e; r.r9 = f;
	r.rip = data[DATA_SYSCALL_STUB];
	run_to_trap(&r);
	return (long)data[DATA_RESULT];
}

static int cap;
static int queued;
static void flush(void)
{
	if (!queued) return;
	data[DATA_TUPLES + queued * 7] = 0; data[DATA_FLAGS] = 0;
	struct user_regs_struct r = init; r.rip = data[DATA_BATCH_STUB];
	run_to_trap(&r);
	if ((int)data[DATA_EXECUTED] != queued) { fprintf(stderr, "batch stopped at %lu\n", data[DATA_EXECUTED]); exit(1); }
	queued = 0;
}
static void add(long nr, unsigned long a, unsigned long b, unsigned long c, unsigned long d, unsigned long e, unsigned long f)
{
	unsigned long *t = data + DATA_TUPLES + queued * 7;
	t[0] = nr; t[1] = a; t[2] = b; t[3] = c; t[4] = d; t[5] = e; t[6] = f;
	if (++queued == cap) flush();
}

int main(int argc, char **argv)
{
	if (argc < 2) { fprintf(stderr, "usage: cref STUB [N] [colo|any] [handler|nohandler]\n"); return 2; }
	if (argc > 2) N = atoi(argv[2]);
	int colo = argc <= 3 || strcmp(argv[3], "any");
	int handler = argc > 4 && !strcmp(argv[4], "handler");
	if (handler) { struct sigaction sa = { .sa_handler = on_chld, .sa_flags = SA_RESTART }; sigaction(SIGCHLD, &sa, 0); }
	if (colo) { cpu_set_t s; CPU_ZERO(&s); CPU_SET(0, &s); sched_setaffinity(0, sizeof s, &s); }
	int dfd = memfd_create("data", 0), pfd = memfd_create("phys", 0);
	ftruncate(dfd, PAGE); ftruncate(pfd, 64 << 20);
	data = mmap(0, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, dfd, 0);
	data[DATA_PARENT_PID] = getpid();
	cap = (PAGE / 8 - DATA_TUPLES - 1) / 7;
	pid = fork();
	if (pid == 0) { dup2(dfd, DATA_FD); dup2(pfd, PHYSMEM_FD); char *av[] = { "stub", 0 }, *ev[] = { 0 }; execve(argv[1], av, ev); _exit(99); }
	int st;
	waitpid(pid, &st, __WALL);
	if (!WIFSTOPPED(st)) die("stub did not stop");
	ptrace(PTRACE_SETOPTIONS, pid, 0, PTRACE_O_EXITKILL);
	ptrace(PTRACE_CONT, pid, 0, 0);
	waitpid(pid, &st, __WALL);
	ptrace(PTRACE_GETREGS, pid, 0, &init);

	for (int rep = 0; rep < 3; rep++) {
		double t0 = now();
		/* munmap of zero bytes: EINVAL, a syscall the stub's seccomp filter lets through (getpid would kill it). */
		for (int i = 0; i < N; i++) if (single(11, BASE, 0, 0, 0, 0, 0) != -22) die("munmap(0 bytes)");
		double t1 = now();
		for (int i = 0; i < N; i++) if (single(9, BASE + i * 2 * PAGE, PAGE, 3, 0x11, 4, i * PAGE) != (long)(BASE + i * 2 * PAGE)) die("mmap");
		for (int i = 0; i < N; i++) if (single(10, BASE + i * 2 * PAGE, PAGE, 1, 0, 0, 0)) die("mprotect");
		for (int i = 0; i < N; i++) if (single(11, BASE + i * 2 * PAGE, PAGE, 0, 0, 0, 0)) die("munmap");
		double t2 = now();
		for (int i = 0; i < N; i++) add(9, BASE + i * 2 * PAGE, PAGE, 3, 0x11, 4, i * PAGE);
		for (int i = 0; i < N; i++) add(10, BASE + i * 2 * PAGE, PAGE, 1, 0, 0, 0);
		for (int i = 0; i < N; i++) add(11, BASE + i * 2 * PAGE, PAGE, 0, 0, 0, 0);
		flush();
		double t3 = now();
		/* One CSV-friendly line per repetition: roundtrip,single,batch in ns. */
		printf("%.0f,%.0f,%.0f\n", (t1 - t0) / N, (t2 - t1) / (3.0 * N), (t3 - t2) / (3.0 * N));
	}
	kill(pid, SIGKILL);
	return 0;
}
