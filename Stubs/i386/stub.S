/*
 * UmlTlb stub process, i386.
 *
 * The same program as Stubs/x86_64/stub.S, for a 32-bit tracee: same data-area
 * word indexes (4-byte words here), same exit codes, same start-up steps, same
 * two entries. The engine spawns it with two memfds: fd 3 is the data area
 * (mapped right after the code page at STUB_DATA, shared with the engine),
 * fd 4 is the physical-memory file that mmap2 ops map. The stub prepares
 * itself, lets its parent trace it, and from then on only runs what the tracer
 * points it at: syscall_stub or batch_syscall_stub, each ending in int3.
 *
 * Data area words (4 bytes each here, 8 bytes on x86_64, same indexes):
 *   0  result of the last syscall run
 *   1  flags from the engine: bit 0 = keep going after a failing tuple
 *   2  number of tuples the batch executed
 *   3  pid the stub must have as parent (written by the engine before spawn)
 *   4  STUB_CODE, 5 syscall_stub, 6 batch_syscall_stub, 7 STUB_DATA
 *      (written by the stub, so that the layout has one source: this file)
 *   8  set to 1 just before each int3, cleared by the engine before each
 *      resume: a SIGTRAP stop with it set is the stub's own trap
 *   9… [nr, a1..a6] tuples, ended by nr 0; each executed tuple's nr slot
 *      receives that syscall's return value.
 *
 * The 64-bit engine sees this process through the 64-bit user_regs_struct:
 * syscall_stub takes nr in eax and arguments in ebx, ecx, edx, esi, edi, ebp
 * (the int $0x80 convention), loaded by PTRACE_SETREGS.
 *
 * Confinement, as on x86_64: before its first trap the stub sets
 * PR_SET_NO_NEW_PRIVS and installs the seccomp filter of Stubs/seccomp.h,
 * with AUDIT_ARCH_I386 and the 32-bit syscall numbers: mmap2 of the
 * physical-memory file, munmap, mprotect and exit, from its code page only;
 * anything else kills it with SIGSYS. The kernel passes a 32-bit syscall only
 * the low halves of its argument registers, so only those are checked.
 *
 * Known limits:
 *   - The filter pins flags, fd and prot, not addresses: a tuple can still
 *     unmap the stub's own pages (it then dies of SIGSEGV). Only the engine
 *     maps the data area, and its validator refuses such ops.
 *   - Once started it has no stack: nothing here may call, push or take a
 *     signal frame. Signals reach it only as ptrace stops.
 *   - Every failed start-up step exits with its own code (10-21) so that the
 *     engine can say which step failed.
 *   - int $0x80 costs microseconds on this 64-bit kernel, against well under
 *     one for x86_64's syscall: every op is slower here whatever the engine
 *     does; batching only removes the round trips.
 *   - All six argument registers are syscall arguments, so the batch loop
 *     keeps its position in the data area (word 2), not in a register.
 *   - mmap2 takes its offset in pages: the engine converts (StubAbi.I386),
 *     the stub passes tuples through unchanged.
 *   - Without PT_GNU_STACK the kernel would give a 32-bit process
 *     READ_IMPLIES_EXEC and every PROT_READ op would map executable pages:
 *     hence the .note.GNU-stack section below (and -z noexecstack at link).
 */

#include "../layout.h"

#define STUB_CODE       0xff000000 /* stub.ld places stub_start here and checks it */
#define STUB_DATA       (STUB_CODE + PAGE_SIZE)
#define TASK_SIZE       0xffffe000 /* a 32-bit process on a 64-bit kernel */

#define NR_exit         1
#define NR_lseek        19
#define NR_getpid       20
#define NR_ptrace       26
#define NR_kill         37
#define NR_getppid      64
#define NR_munmap       91
#define NR_prctl        172
#define NR_mprotect     125
#define NR_mmap2        192
#define NR_exit_group   252
#define NR_prlimit64    340
#define NR_seccomp      354
#define NR_futex        240
#define NR_close_range  436

/* For Stubs/seccomp.h */
#define AUDIT_ARCH_STUB AUDIT_ARCH_I386
#define ARGS_HIGH_HALF  0
#define NR_MMAP_OP      NR_mmap2

#define WORD            4
#define TUPLE_BYTES     (7 * WORD)

#include "../seccomp.h"

/* Absolute addresses of data-area words: code and data sit at fixed addresses. */
#define DATA(word)      (STUB_DATA + WORD * (word))

	.section .text, "ax"
	.globl stub_start, syscall_stub, batch_syscall_stub

/*
 * During start-up %edi holds the exit code of the step in progress (set right
 * after each syscall, as int $0x80 clobbers only %eax) and, from the data
 * mapping on, %esi holds the data area's size.
 */
stub_start:
	/* Die with the tracer thread that spawned us, never linger. */
	mov $NR_prctl, %eax
	mov $PR_SET_PDEATHSIG, %ebx
	mov $SIGKILL, %ecx
	int $0x80
	mov $EXIT_PDEATHSIG, %edi
	test %eax, %eax
	jnz fail

	/* A name pgrep finds, whatever the executable's path was. */
	mov $NR_prctl, %eax
	mov $PR_SET_NAME, %ebx
	mov $stub_name, %ecx
	int $0x80
	mov $EXIT_NAME, %edi
	test %eax, %eax
	jnz fail

	/* A stub killed by its filter or a fault leaves no core file behind. */
	mov $NR_prlimit64, %eax
	xor %ebx, %ebx
	mov $RLIMIT_CORE, %ecx
	mov $no_core, %edx
	xor %esi, %esi
	int $0x80
	mov $EXIT_CORE_LIMIT, %edi
	test %eax, %eax
	jnz fail

	/* The data area's size is the memfd's size, chosen by the engine. */
	mov $NR_lseek, %eax
	mov $DATA_FD, %ebx
	xor %ecx, %ecx
	mov $SEEK_END, %edx
	int $0x80
	mov $EXIT_DATA_SIZE, %edi
	test %eax, %eax
	jle fail

	mov %eax, %ecx
	mov $NR_mmap2, %eax
	mov $STUB_DATA, %ebx
	mov $(PROT_READ | PROT_WRITE), %edx
	mov $(MAP_SHARED | MAP_FIXED), %esi
	mov $DATA_FD, %edi
	xor %ebp, %ebp
	int $0x80
	mov %ecx, %esi
	mov $EXIT_DATA_MAP, %edi
	cmp $STUB_DATA, %eax
	jne fail

	/* The parent may have died before prctl took effect. */
	mov $NR_getppid, %eax
	int $0x80
	mov $EXIT_PARENT_GONE, %edi
	cmp DATA(DATA_PARENT_PID), %eax
	jne fail

	/* Keep only the data area and the physical-memory file. */
	mov $NR_close_range, %eax
	xor %ebx, %ebx
	mov $(DATA_FD - 1), %ecx
	xor %edx, %edx
	int $0x80
	mov $EXIT_CLOSE_FDS, %edi
	test %eax, %eax
	jnz fail
	mov $NR_close_range, %eax
	mov $(PHYSMEM_FD + 1), %ebx
	mov $0xffffffff, %ecx
	xor %edx, %edx
	int $0x80
	test %eax, %eax
	jnz fail

	/* Publish the layout before the stack and everything else go away. */
	movl $STUB_CODE, DATA(DATA_STUB_CODE)
	movl $syscall_stub, DATA(DATA_SYSCALL_STUB)
	movl $batch_syscall_stub, DATA(DATA_BATCH_STUB)
	movl $STUB_DATA, DATA(DATA_STUB_DATA)
	movl $doorbell_stub, DATA(DATA_DOORBELL_STUB)

	/* Everything below the code page and above the data area is for ops. */
	mov $NR_munmap, %eax
	xor %ebx, %ebx
	mov $STUB_CODE, %ecx
	int $0x80
	mov $EXIT_UNMAP, %edi
	test %eax, %eax
	jnz fail
	mov $NR_munmap, %eax
	lea STUB_DATA(%esi), %ebx
	mov $TASK_SIZE, %ecx
	sub %ebx, %ecx
	int $0x80
	test %eax, %eax
	jnz fail

	mov $NR_ptrace, %eax
	mov $PTRACE_TRACEME, %ebx
	xor %ecx, %ecx
	xor %edx, %edx
	xor %esi, %esi
	int $0x80
	mov $EXIT_TRACEME, %edi
	test %eax, %eax
	jnz fail

	/* Wait here until the tracer has set its options, then report ready. */
	mov $NR_getpid, %eax
	int $0x80
	mov %eax, %ebx
	mov $NR_kill, %eax
	mov $SIGSTOP, %ecx
	int $0x80

	/*
	 * Confine ourselves: the last start-up step, after every syscall above
	 * and before the first trap, so the engine only ever runs a filtered stub.
	 */
	mov $NR_prctl, %eax
	mov $PR_SET_NO_NEW_PRIVS, %ebx
	mov $1, %ecx
	xor %edx, %edx
	xor %esi, %esi
	xor %edi, %edi
	int $0x80
	mov $EXIT_NO_NEW_PRIVS, %edi
	test %eax, %eax
	jnz fail
	mov $NR_seccomp, %eax
	mov $SECCOMP_SET_MODE_FILTER, %ebx
	xor %ecx, %ecx
	mov $seccomp_prog, %edx
	int $0x80
	mov $EXIT_SECCOMP, %edi
	test %eax, %eax
	jnz fail

	movl $1, DATA(DATA_TRAPPED)
	int3
	/* Only a tracer that resumes us without pointing us somewhere gets here. */
	mov $EXIT_RESUMED, %edi

fail:
	mov $NR_exit, %eax
	mov %edi, %ebx
	int $0x80

/* One syscall, set up in registers by PTRACE_SETREGS. */
syscall_stub:
	int $0x80
	mov %eax, DATA(DATA_RESULT)
	movl $1, DATA(DATA_TRAPPED)
	int3
	/* A plain PTRACE_CONT from this trap runs the next batch: no PTRACE_SETREGS needed for it. */
	jmp batch_syscall_stub

/*
 * Run the data area's tuples until nr 0, or until one fails unless flagged.
 * The executed count doubles as the loop index: the six argument registers
 * leave none free, and the stack pointer is not to be borrowed.
 */
batch_syscall_stub:
	movl $0, DATA(DATA_EXECUTED)
next:
	imul $TUPLE_BYTES, DATA(DATA_EXECUTED), %ebp
	mov DATA(DATA_TUPLES)(%ebp), %eax
	test %eax, %eax
	jz done
	mov (DATA(DATA_TUPLES) + 1 * WORD)(%ebp), %ebx
	mov (DATA(DATA_TUPLES) + 2 * WORD)(%ebp), %ecx
	mov (DATA(DATA_TUPLES) + 3 * WORD)(%ebp), %edx
	mov (DATA(DATA_TUPLES) + 4 * WORD)(%ebp), %esi
	mov (DATA(DATA_TUPLES) + 5 * WORD)(%ebp), %edi
	/* The offset register is the last argument: load it last. */
	mov (DATA(DATA_TUPLES) + 6 * WORD)(%ebp), %ebp
	int $0x80
	imul $TUPLE_BYTES, DATA(DATA_EXECUTED), %ecx
	mov %eax, DATA(DATA_TUPLES)(%ecx)
	mov %eax, DATA(DATA_RESULT)
	incl DATA(DATA_EXECUTED)
	/* -4095..-1 are errnos; anything else, addresses included, succeeded.
	   Unsigned, in 32 bits: addresses above 2 GiB are not failures. */
	cmp $-4095, %eax
	jb next
	testl $DATA_FLAG_CONTINUE, DATA(DATA_FLAGS)
	jnz next
done:
	movl $1, DATA(DATA_TRAPPED)
	int3
	/* A plain PTRACE_CONT from this trap runs the next batch: no PTRACE_SETREGS needed for it. */
	jmp batch_syscall_stub

/*
 * ---- Doorbell transport ---------------------------------------------------
 * The same loop as x86_64's (see there for the protocol): wait until the
 * doorbell word holds a request number other than the last one completed,
 * run the tuples as batch_syscall_stub does, publish the number in the done
 * word, wake the engine if it sleeps, wait again. Words are 32 bits here, so
 * the futexes are the whole words. Loads in order = acquire; the publishing
 * xchg is a full barrier = release. Still no stack.
 */
	.globl doorbell_stub

doorbell_stub:
doorbell_wait:
	mov DATA(DATA_DOORBELL_SPIN), %ecx
doorbell_poll:
	/* A request waits when the two numbers differ (bit 0 of each is a sleep flag, not part of them). */
	mov DATA(DATA_DOORBELL_DONE), %eax
	mov DATA(DATA_DOORBELL), %edx
	xor %edx, %eax
	and $~1, %eax
	jnz doorbell_run
	test %ecx, %ecx
	jz doorbell_sleep
	pause
	dec %ecx
	jmp doorbell_poll
doorbell_sleep:
	/* Say that we sleep (bit 0), unless the engine rang meanwhile; then sleep while nothing changes. */
	test $1, %edx
	jnz doorbell_futex_wait
	mov %edx, %eax
	or $1, %edx
	lock cmpxchg %edx, DATA(DATA_DOORBELL)
	jne doorbell_wait
doorbell_futex_wait:
	mov $NR_futex, %eax
	mov $DATA(DATA_DOORBELL), %ebx
	mov $FUTEX_WAIT, %ecx
	xor %esi, %esi
	int $0x80
	/* Woken, EAGAIN (it rang first) or EINTR (a swallowed stop): look again. */
	jmp doorbell_wait

doorbell_run:
	movl $0, DATA(DATA_EXECUTED)
doorbell_next:
	imul $TUPLE_BYTES, DATA(DATA_EXECUTED), %ebp
	mov DATA(DATA_TUPLES)(%ebp), %eax
	test %eax, %eax
	jz doorbell_done
	mov (DATA(DATA_TUPLES) + 1 * WORD)(%ebp), %ebx
	mov (DATA(DATA_TUPLES) + 2 * WORD)(%ebp), %ecx
	mov (DATA(DATA_TUPLES) + 3 * WORD)(%ebp), %edx
	mov (DATA(DATA_TUPLES) + 4 * WORD)(%ebp), %esi
	mov (DATA(DATA_TUPLES) + 5 * WORD)(%ebp), %edi
	mov (DATA(DATA_TUPLES) + 6 * WORD)(%ebp), %ebp
	int $0x80
	imul $TUPLE_BYTES, DATA(DATA_EXECUTED), %ecx
	mov %eax, DATA(DATA_TUPLES)(%ecx)
	mov %eax, DATA(DATA_RESULT)
	incl DATA(DATA_EXECUTED)
	cmp $-4095, %eax
	jb doorbell_next
	testl $DATA_FLAG_CONTINUE, DATA(DATA_FLAGS)
	jnz doorbell_next
doorbell_done:
	/* The request served is still in the doorbell word: the engine rings again only after this. */
	mov DATA(DATA_DOORBELL), %eax
	and $~1, %eax
	xchg %eax, DATA(DATA_DOORBELL_DONE)
	test $1, %eax
	jz doorbell_wait
	mov $NR_futex, %eax
	mov $DATA(DATA_DOORBELL_DONE), %ebx
	mov $FUTEX_WAKE, %ecx
	mov $1, %edx
	int $0x80
	jmp doorbell_wait

/* Read-only data of the start-up steps; the filter is copied by the kernel at install. */
stub_name:
	.asciz "umltlb-stub"
	.balign 8
no_core:
	.quad 0, 0 /* struct rlimit64 { cur, max } */
	emit_seccomp_filter

	.section .note.GNU-stack, "", @progbits
