/*
 * The stub's seccomp filter, one program for both architectures.
 *
 * Each Stubs/<arch>/stub.S defines, before including this file:
 *   AUDIT_ARCH_STUB         the only syscall architecture the stub may use
 *   STUB_CODE               the code page's address (a number, not a symbol:
 *                           BPF compares constants; stub.ld checks it)
 *   WORD                    8 or 4: the size of a pointer in struct sock_fprog
 *   ARGS_HIGH_HALF          1 when syscall arguments are 64 bits wide (x86_64),
 *                           0 when the kernel reads only their low 32 bits (i386)
 *   NR_MMAP_OP, NR_mprotect, NR_munmap, NR_exit, NR_exit_group, NR_futex
 * and then expands emit_seccomp_filter in its code page, where the kernel copies it
 * from when the stub installs it (seccomp_prog is the struct sock_fprog).
 *
 * What the filter lets through, everything else kills the whole stub with
 * SIGSYS (SECCOMP_RET_KILL_PROCESS), which its tracer reaps and reports:
 *   - the stub's own architecture only (an int $0x80 from the x86_64 stub,
 *     or a 64-bit syscall from the i386 one, dies);
 *   - syscalls made from the code page only (both 32-bit halves of the
 *     instruction pointer compared, as Linux UML's filter does): nothing an op
 *     maps can make a syscall, even if it is made executable;
 *   - mmap (mmap2 on i386) with flags exactly MAP_SHARED|MAP_FIXED, fd exactly
 *     the physical-memory file, prot within PROT_READ|PROT_WRITE|PROT_EXEC;
 *   - mprotect with prot within PROT_READ|PROT_WRITE|PROT_EXEC;
 *   - munmap;
 *   - exit and exit_group (the stub's way out of a failed step);
 *   - futex for the Doorbell transport, two forms only: FUTEX_WAIT on the
 *     doorbell word, FUTEX_WAKE on the done word (op exact, address exact:
 *     both 32-bit halves on x86_64), both in the data area.
 *
 * Known limit: addresses and lengths are not pinned. An op may unmap or
 * replace the stub's own code or data page; the stub then faults (SIGSEGV)
 * and is reported as such. The engine's validator refuses such ops.
 *
 * To allow another syscall: one "allow_syscall NR_x, rule" line in the list
 * below and, when its arguments are pinned, a rule (a label followed by
 * arg_* checks that end in filter_allow). Rules may fall through into each
 * other, as rule_mmap does into rule_prot.
 */
#ifndef UMLTLB_STUB_SECCOMP_H
#define UMLTLB_STUB_SECCOMP_H

/* linux/filter.h, linux/bpf_common.h, linux/seccomp.h, linux/audit.h */
#define BPF_LD_W_ABS                0x20    /* BPF_LD | BPF_W | BPF_ABS */
#define BPF_AND_K                   0x54    /* BPF_ALU | BPF_AND | BPF_K */
#define BPF_JEQ_K                   0x15    /* BPF_JMP | BPF_JEQ | BPF_K */
#define BPF_JSET_K                  0x45    /* BPF_JMP | BPF_JSET | BPF_K */
#define BPF_RET_K                   0x06    /* BPF_RET | BPF_K */
#define SECCOMP_RET_KILL_PROCESS    0x80000000
#define SECCOMP_RET_ALLOW           0x7fff0000
#define SECCOMP_SET_MODE_FILTER     1
#define PR_SET_NO_NEW_PRIVS         38
#define AUDIT_ARCH_X86_64           0xc000003e
#define AUDIT_ARCH_I386             0x40000003

/* struct seccomp_data: int nr; u32 arch; u64 instruction_pointer; u64 args[6] (little-endian) */
#define SECCOMP_DATA_NR             0
#define SECCOMP_DATA_ARCH           4
#define SECCOMP_DATA_IP_LOW         8
#define SECCOMP_DATA_IP_HIGH        12
#define SECCOMP_DATA_ARG_LOW(i)     (16 + 8 * (i))
#define SECCOMP_DATA_ARG_HIGH(i)    (16 + 8 * (i) + 4)

#define PROT_ALL                    (PROT_READ | PROT_WRITE | PROT_EXEC)

/*
 * struct sock_filter { u16 code; u8 jt; u8 jf; u32 k; }: 8 bytes. Jumps go
 * forward by whole instructions, counted from the next one: (target - 9f) / 8
 * where 9: closes the instruction. The targets are labels, so that a rule can
 * be added without recounting anything.
 */
	.macro bpf_stmt code, k
	.short \code
	.byte 0, 0
	.long \k
	.endm

	.macro bpf_jump code, k, jt, jf
	.short \code
	.byte (\jt - 9f) / 8, (\jf - 9f) / 8
	.long \k
9:
	.endm

	/* Accumulator = a 32-bit word of struct seccomp_data. */
	.macro bpf_load offset
	bpf_stmt BPF_LD_W_ABS, \offset
	.endm

	/* When the syscall number (in the accumulator) is nr, go to rule. */
	.macro allow_syscall nr, rule
	bpf_jump BPF_JEQ_K, \nr, \rule, 9f
	.endm

	/* Argument i must be exactly value; a 32-bit constant. */
	.macro arg_equals i, value
	bpf_load SECCOMP_DATA_ARG_LOW(\i)
	bpf_jump BPF_JEQ_K, \value, 8f, filter_kill
8:
	.if ARGS_HIGH_HALF
	bpf_load SECCOMP_DATA_ARG_HIGH(\i)
	bpf_jump BPF_JEQ_K, 0, 8f, filter_kill
8:
	.endif
	.endm

	/* Argument i may only hold bits of allowed; a 32-bit constant. */
	.macro arg_within i, allowed
	bpf_load SECCOMP_DATA_ARG_LOW(\i)
	bpf_jump BPF_JSET_K, ~(\allowed) & 0xffffffff, filter_kill, 8f
8:
	.if ARGS_HIGH_HALF
	bpf_load SECCOMP_DATA_ARG_HIGH(\i)
	bpf_jump BPF_JEQ_K, 0, 8f, filter_kill
8:
	.endif
	.endm

	/* Argument i must be exactly value, a full address (both halves where arguments are 64 bits). */
	.macro arg_equals_address i, value
	bpf_load SECCOMP_DATA_ARG_LOW(\i)
	bpf_jump BPF_JEQ_K, (\value) & 0xffffffff, 8f, filter_kill
8:
	.if ARGS_HIGH_HALF
	bpf_load SECCOMP_DATA_ARG_HIGH(\i)
	bpf_jump BPF_JEQ_K, (\value) >> 32, 8f, filter_kill
8:
	.endif
	.endm

	/* Go on at target (JSET with no bits is never true). */
	.macro bpf_goto target
	bpf_jump BPF_JSET_K, 0, \target, \target
	.endm

/* The data-area words the Doorbell transport's futexes live in (layout.h). */
#define DOORBELL_ADDRESS(word)      (STUB_CODE + PAGE_SIZE + WORD * (word))

	/* The whole program and its struct sock_fprog (seccomp_prog), placed where expanded. */
	.macro emit_seccomp_filter
	.balign 8
seccomp_filter:
	/* Its own architecture only. */
	bpf_load SECCOMP_DATA_ARCH
	bpf_jump BPF_JEQ_K, AUDIT_ARCH_STUB, 1f, filter_kill
1:
	/* From the code page only: upper half exact, lower half masked to its page. */
	bpf_load SECCOMP_DATA_IP_HIGH
	bpf_jump BPF_JEQ_K, (STUB_CODE >> 32), 1f, filter_kill
1:
	bpf_load SECCOMP_DATA_IP_LOW
	bpf_stmt BPF_AND_K, ~(PAGE_SIZE - 1) & 0xffffffff
	bpf_jump BPF_JEQ_K, (STUB_CODE & 0xffffffff), 1f, filter_kill
1:
	/* The syscalls the stub may make, each sent to its rule. */
	bpf_load SECCOMP_DATA_NR
	allow_syscall NR_MMAP_OP, rule_mmap
	allow_syscall NR_mprotect, rule_prot
	allow_syscall NR_munmap, filter_allow
	allow_syscall NR_exit, filter_allow
	allow_syscall NR_exit_group, filter_allow
	allow_syscall NR_futex, rule_futex
	bpf_stmt BPF_RET_K, SECCOMP_RET_KILL_PROCESS

rule_futex:
	/* The stub sleeps on the doorbell word and wakes the engine on the done word: nothing else. */
	bpf_load SECCOMP_DATA_ARG_LOW(1)
	bpf_jump BPF_JEQ_K, FUTEX_WAIT, rule_futex_wait, 8f
8:
	bpf_jump BPF_JEQ_K, FUTEX_WAKE, rule_futex_wake, filter_kill
rule_futex_wait:
	arg_equals 1, FUTEX_WAIT
	arg_equals_address 0, DOORBELL_ADDRESS(DATA_DOORBELL)
	bpf_goto filter_allow
rule_futex_wake:
	arg_equals 1, FUTEX_WAKE
	arg_equals_address 0, DOORBELL_ADDRESS(DATA_DOORBELL_DONE)
	bpf_goto filter_allow

rule_mmap:
	/* Only shared, fixed mappings of the physical-memory file... */
	arg_equals 3, (MAP_SHARED | MAP_FIXED)
	arg_equals 4, PHYSMEM_FD
	/* ...and then the same prot check as mprotect: prot is argument 2 of both. */
rule_prot:
	arg_within 2, PROT_ALL

filter_allow:
	bpf_stmt BPF_RET_K, SECCOMP_RET_ALLOW
filter_kill:
	bpf_stmt BPF_RET_K, SECCOMP_RET_KILL_PROCESS
seccomp_filter_end:

	/* struct sock_fprog { unsigned short len; struct sock_filter *filter; } */
	.balign WORD
seccomp_prog:
	.short (seccomp_filter_end - seccomp_filter) / 8
	.balign WORD
	.if WORD == 8
	.quad seccomp_filter
	.else
	.long seccomp_filter
	.endif
	.endm

#endif
