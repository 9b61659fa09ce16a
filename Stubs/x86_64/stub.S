/*
 * UmlTlb stub process, x86_64.
 *
 * The engine spawns this static, libc-free program with two memfds: fd 3 is
 * the data area (mapped right after the code page at STUB_DATA, shared with
 * the engine), fd 4 is the physical-memory file that mmap ops map. The stub
 * prepares itself, lets its parent trace it, and from then on only runs what
 * the tracer points it at: syscall_stub or batch_syscall_stub, each ending in
 * int3.
 *
 * Data area words (8 bytes each here, 4 bytes on i386, same indexes):
 *   0  result of the last syscall run
 *   1  flags from the engine: bit 0 = keep going after a failing tuple
 *   2  number of tuples the batch executed
 *   3  pid the stub must have as parent (written by the engine before spawn)
 *   4  STUB_CODE, 5 syscall_stub, 6 batch_syscall_stub, 7 STUB_DATA
 *      (written by the stub, so that the layout has one source: this file)
 *   8  set to 1 just before each int3, cleared by the engine before each
 *      resume: a SIGTRAP stop with it set is the stub's own trap, with no
 *      PTRACE_GETSIGINFO needed to tell it from a kill -TRAP
 *   9… [nr, a1..a6] tuples, ended by nr 0; each executed tuple's nr slot
 *      receives that syscall's return value.
 *
 * Confinement: once set up, and before its first trap, the stub sets
 * PR_SET_NO_NEW_PRIVS and installs the seccomp filter of Stubs/seccomp.h:
 * from then on it can only mmap the physical-memory file, munmap, mprotect and
 * exit, and only from its code page. Whatever else the data area asks for
 * kills it with SIGSYS. It also names itself umltlb-stub (exec from a memfd
 * would name it after the fd) and dumps no core into the caller's directory.
 *
 * Known limits:
 *   - The filter pins flags, fd and prot, not addresses: a tuple can still
 *     unmap the stub's own pages (it then dies of SIGSEGV). Only the engine
 *     maps the data area, and its validator refuses such ops.
 *   - Once started it has no stack: nothing here may call, push or take a
 *     signal frame. Signals reach it only as ptrace stops.
 *   - Every failed start-up step exits with its own code (10-21) so that the
 *     engine can say which step failed.
 */

#include "../layout.h"

#define STUB_CODE       0x7ff000000000 /* stub.ld places stub_start here and checks it */
#define STUB_DATA       (STUB_CODE + PAGE_SIZE)
#define TASK_SIZE       0x7ffffffff000

#define NR_lseek        8
#define NR_mmap         9
#define NR_mprotect     10
#define NR_munmap       11
#define NR_getpid       39
#define NR_exit         60
#define NR_kill         62
#define NR_ptrace       101
#define NR_getppid      110
#define NR_futex        202
#define NR_prctl        157
#define NR_exit_group   231
#define NR_prlimit64    302
#define NR_seccomp      317
#define NR_close_range  436

/* For Stubs/seccomp.h */
#define AUDIT_ARCH_STUB AUDIT_ARCH_X86_64
#define ARGS_HIGH_HALF  1
#define NR_MMAP_OP      NR_mmap

#define WORD            8
#define TUPLE_BYTES     (7 * WORD)

#include "../seccomp.h"

	.section .text, "ax"
	.globl stub_start, syscall_stub, batch_syscall_stub

stub_start:
	/* Die with the tracer thread that spawned us, never linger. */
	mov $NR_prctl, %eax
	mov $PR_SET_PDEATHSIG, %edi
	mov $SIGKILL, %esi
	syscall
	mov $EXIT_PDEATHSIG, %r15d
	test %rax, %rax
	jnz fail

	/* A name pgrep finds, whatever the executable's path was. */
	mov $NR_prctl, %eax
	mov $PR_SET_NAME, %edi
	lea stub_name(%rip), %rsi
	syscall
	mov $EXIT_NAME, %r15d
	test %rax, %rax
	jnz fail

	/* A stub killed by its filter or a fault leaves no core file behind. */
	mov $NR_prlimit64, %eax
	xor %edi, %edi
	mov $RLIMIT_CORE, %esi
	lea no_core(%rip), %rdx
	xor %r10d, %r10d
	syscall
	mov $EXIT_CORE_LIMIT, %r15d
	test %rax, %rax
	jnz fail

	/* The data area's size is the memfd's size, chosen by the engine. */
	mov $NR_lseek, %eax
	mov $DATA_FD, %edi
	xor %esi, %esi
	mov $SEEK_END, %edx
	syscall
	mov $EXIT_DATA_SIZE, %r15d
	test %rax, %rax
	jle fail
	mov %rax, %r14

	mov $NR_mmap, %eax
	movabs $STUB_DATA, %rdi
	mov %r14, %rsi
	mov $(PROT_READ | PROT_WRITE), %edx
	mov $(MAP_SHARED | MAP_FIXED), %r10d
	mov $DATA_FD, %r8d
	xor %r9d, %r9d
	syscall
	mov $EXIT_DATA_MAP, %r15d
	movabs $STUB_DATA, %rbx
	cmp %rbx, %rax
	jne fail

	/* The parent may have died before prctl took effect. */
	mov $NR_getppid, %eax
	syscall
	mov $EXIT_PARENT_GONE, %r15d
	cmp (WORD * DATA_PARENT_PID)(%rbx), %rax
	jne fail

	/* Keep only the data area and the physical-memory file. */
	mov $NR_close_range, %eax
	xor %edi, %edi
	mov $(DATA_FD - 1), %esi
	xor %edx, %edx
	syscall
	mov $EXIT_CLOSE_FDS, %r15d
	test %rax, %rax
	jnz fail
	mov $NR_close_range, %eax
	mov $(PHYSMEM_FD + 1), %edi
	mov $0xffffffff, %esi
	xor %edx, %edx
	syscall
	test %rax, %rax
	jnz fail

	/* Publish the layout before the stack and everything else go away. */
	movabs $STUB_CODE, %rax
	mov %rax, (WORD * DATA_STUB_CODE)(%rbx)
	movabs $syscall_stub, %rax
	mov %rax, (WORD * DATA_SYSCALL_STUB)(%rbx)
	movabs $batch_syscall_stub, %rax
	mov %rax, (WORD * DATA_BATCH_STUB)(%rbx)
	mov %rbx, (WORD * DATA_STUB_DATA)(%rbx)
	movabs $doorbell_stub, %rax
	mov %rax, (WORD * DATA_DOORBELL_STUB)(%rbx)

	/* Everything below the code page and above the data area is for ops. */
	mov $NR_munmap, %eax
	xor %edi, %edi
	movabs $STUB_CODE, %rsi
	syscall
	mov $EXIT_UNMAP, %r15d
	test %rax, %rax
	jnz fail
	mov $NR_munmap, %eax
	lea (%rbx, %r14), %rdi
	movabs $TASK_SIZE, %rsi
	sub %rdi, %rsi
	syscall
	test %rax, %rax
	jnz fail

	mov $NR_ptrace, %eax
	mov $PTRACE_TRACEME, %edi
	xor %esi, %esi
	xor %edx, %edx
	xor %r10d, %r10d
	syscall
	mov $EXIT_TRACEME, %r15d
	test %rax, %rax
	jnz fail

	/* Wait here until the tracer has set its options, then report ready. */
	mov $NR_getpid, %eax
	syscall
	mov %rax, %rdi
	mov $NR_kill, %eax
	mov $SIGSTOP, %esi
	syscall

	/*
	 * Confine ourselves: the last start-up step, after every syscall above
	 * and before the first trap, so the engine only ever runs a filtered stub.
	 */
	mov $NR_prctl, %eax
	mov $PR_SET_NO_NEW_PRIVS, %edi
	mov $1, %esi
	xor %edx, %edx
	xor %r10d, %r10d
	xor %r8d, %r8d
	syscall
	mov $EXIT_NO_NEW_PRIVS, %r15d
	test %rax, %rax
	jnz fail
	mov $NR_seccomp, %eax
	mov $SECCOMP_SET_MODE_FILTER, %edi
	xor %esi, %esi
	lea seccomp_prog(%rip), %rdx
	syscall
	mov $EXIT_SECCOMP, %r15d
	test %rax, %rax
	jnz fail

	movq $1, (WORD * DATA_TRAPPED)(%rbx)
	int3
	/* Only a tracer that resumes us without pointing us somewhere gets here. */
	mov $EXIT_RESUMED, %r15d

fail:
	mov $NR_exit, %eax
	mov %r15d, %edi
	syscall

/* One syscall, set up in registers by PTRACE_SETREGS. */
syscall_stub:
	syscall
	movabs $STUB_DATA, %rbx
	mov %rax, (WORD * DATA_RESULT)(%rbx)
	movq $1, (WORD * DATA_TRAPPED)(%rbx)
	int3
	/* A plain PTRACE_CONT from this trap runs the next batch: no PTRACE_SETREGS needed for it. */
	jmp batch_syscall_stub

/* Run the data area's tuples until nr 0, or until one fails unless flagged. */
batch_syscall_stub:
	movabs $STUB_DATA, %rbx
	lea (WORD * DATA_TUPLES)(%rbx), %r12
	xor %r13d, %r13d
	mov %r13, (WORD * DATA_EXECUTED)(%rbx)
next:
	mov (%r12), %rax
	test %rax, %rax
	jz done
	mov 8(%r12), %rdi
	mov 16(%r12), %rsi
	mov 24(%r12), %rdx
	mov 32(%r12), %r10
	mov 40(%r12), %r8
	mov 48(%r12), %r9
	syscall
	mov %rax, (%r12)
	mov %rax, (WORD * DATA_RESULT)(%rbx)
	inc %r13
	mov %r13, (WORD * DATA_EXECUTED)(%rbx)
	add $TUPLE_BYTES, %r12
	/* -4095..-1 are errnos; anything else, addresses included, succeeded. */
	cmp $-4095, %rax
	jb next
	testq $DATA_FLAG_CONTINUE, (WORD * DATA_FLAGS)(%rbx)
	jnz next
done:
	movq $1, (WORD * DATA_TRAPPED)(%rbx)
	int3
	/* A plain PTRACE_CONT from this trap runs the next batch: no PTRACE_SETREGS needed for it. */
	jmp batch_syscall_stub

/*
 * ---- Doorbell transport ---------------------------------------------------
 * Pointed here once by its tracer (instead of being pointed at an entry per
 * round trip), the stub serves requests on its own, without ptrace stops:
 * wait until the doorbell word holds a request number other than the last
 * one completed, run the tuples exactly as batch_syscall_stub does (one op is
 * a batch of one), publish the request number in the done word and wake the
 * engine if it sleeps, wait again. Both words are 32-bit shared futexes (the
 * low half of their data-area word); bit 0 of each says that its reader
 * sleeps on it, so that a wake is a syscall only when someone sleeps.
 * Ordering: x86 keeps loads in order and stores in order, so reading the
 * doorbell word before the tuples is an acquire; the xchg that publishes the
 * done word is a full barrier, after the results: a release.
 * Waiting: spin DATA_DOORBELL_SPIN pause iterations (the engine sets 0 when
 * spinning would take the CPU it needs), then futex_wait. Still no stack.
 */
	.globl doorbell_stub
#define DOORBELL_WORD   (WORD * DATA_DOORBELL)
#define DONE_WORD       (WORD * DATA_DOORBELL_DONE)

doorbell_stub:
	movabs $STUB_DATA, %rbx
doorbell_wait:
	mov (WORD * DATA_DOORBELL_SPIN)(%rbx), %rcx
doorbell_poll:
	/* A request waits when the two numbers differ (bit 0 of each is a sleep flag, not part of them). */
	mov DONE_WORD(%rbx), %eax
	mov DOORBELL_WORD(%rbx), %edx
	xor %edx, %eax
	and $~1, %eax
	jnz doorbell_run
	test %rcx, %rcx
	jz doorbell_sleep
	pause
	dec %rcx
	jmp doorbell_poll
doorbell_sleep:
	/* Say that we sleep (bit 0), unless the engine rang meanwhile; then sleep while nothing changes. */
	test $1, %edx
	jnz doorbell_futex_wait
	mov %edx, %eax
	or $1, %edx
	lock cmpxchg %edx, DOORBELL_WORD(%rbx)
	jne doorbell_wait
doorbell_futex_wait:
	mov $NR_futex, %eax
	lea DOORBELL_WORD(%rbx), %rdi
	mov $FUTEX_WAIT, %esi
	xor %r10d, %r10d
	syscall
	/* Woken, EAGAIN (it rang first) or EINTR (a swallowed stop): look again. */
	jmp doorbell_wait

doorbell_run:
	lea (WORD * DATA_TUPLES)(%rbx), %r12
	xor %r13d, %r13d
	mov %r13, (WORD * DATA_EXECUTED)(%rbx)
doorbell_next:
	mov (%r12), %rax
	test %rax, %rax
	jz doorbell_done
	mov 8(%r12), %rdi
	mov 16(%r12), %rsi
	mov 24(%r12), %rdx
	mov 32(%r12), %r10
	mov 40(%r12), %r8
	mov 48(%r12), %r9
	syscall
	mov %rax, (%r12)
	mov %rax, (WORD * DATA_RESULT)(%rbx)
	inc %r13
	mov %r13, (WORD * DATA_EXECUTED)(%rbx)
	add $TUPLE_BYTES, %r12
	cmp $-4095, %rax
	jb doorbell_next
	testq $DATA_FLAG_CONTINUE, (WORD * DATA_FLAGS)(%rbx)
	jnz doorbell_next
doorbell_done:
	/* The request served is still in the doorbell word: the engine rings again only after this. */
	mov DOORBELL_WORD(%rbx), %eax
	and $~1, %eax
	xchg %eax, DONE_WORD(%rbx)
	test $1, %eax
	jz doorbell_wait
	mov $NR_futex, %eax
	lea DONE_WORD(%rbx), %rdi
	mov $FUTEX_WAKE, %esi
	mov $1, %edx
	syscall
	jmp doorbell_wait

/* Read-only data of the start-up steps; the filter is copied by the kernel at install. */
stub_name:
	.asciz "umltlb-stub"
	.balign 8
no_core:
	.quad 0, 0 /* struct rlimit64 { cur, max } */
	emit_seccomp_filter

	.section .note.GNU-stack, "", @progbits
