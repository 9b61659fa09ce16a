/*
 * What both stubs share with each other and with the engine
 * (Engine/Abi/StubDataLayout.cs mirrors the DATA_* indexes and exit codes;
 * a test checks them against a built stub).
 */
#ifndef UMLTLB_STUB_LAYOUT_H
#define UMLTLB_STUB_LAYOUT_H

#ifndef PAGE_SIZE
#define PAGE_SIZE           4096
#endif
#define DATA_FD             3
#define PHYSMEM_FD          4

/* Word indexes in the data area. */
#define DATA_RESULT         0
#define DATA_FLAGS          1
#define DATA_EXECUTED       2
#define DATA_PARENT_PID     3
#define DATA_STUB_CODE      4
#define DATA_SYSCALL_STUB   5
#define DATA_BATCH_STUB     6
#define DATA_STUB_DATA      7
#define DATA_TRAPPED        8
#define DATA_DOORBELL_STUB  9   /* entry of the Doorbell transport's loop */
#define DATA_DOORBELL_SPIN  10  /* pause iterations the stub may spin before it sleeps */
/* Doorbell words: 32-bit futexes in the low half of their word, each on a cache line of its own. */
#define DATA_DOORBELL       16  /* engine -> stub: request number << 1; bit 0 = the stub sleeps */
#define DATA_DOORBELL_DONE  32  /* stub -> engine: completed number << 1; bit 0 = the engine sleeps */
#define DATA_TUPLES         48

#define DATA_FLAG_CONTINUE  1

/* Exit codes, one per start-up step. */
#define EXIT_PDEATHSIG      10
#define EXIT_DATA_SIZE      11
#define EXIT_DATA_MAP       12
#define EXIT_PARENT_GONE    13
#define EXIT_CLOSE_FDS      14
#define EXIT_UNMAP          15
#define EXIT_TRACEME        16
#define EXIT_RESUMED        17
#define EXIT_NAME           18
#define EXIT_CORE_LIMIT     19
#define EXIT_NO_NEW_PRIVS   20
#define EXIT_SECCOMP        21

/* What the stubs need of the kernel's headers, which they cannot include. */
#ifdef __ASSEMBLER__
#define PR_SET_PDEATHSIG    1
#define PR_SET_NAME         15
#define RLIMIT_CORE         4
#define SIGKILL             9
#define SIGSTOP             19
#define SEEK_END            2
#define PROT_READ           1
#define PROT_WRITE          2
#define PROT_EXEC           4
#define MAP_SHARED          1
#define MAP_FIXED           0x10
#define PTRACE_TRACEME      0
#define FUTEX_WAIT          0
#define FUTEX_WAKE          1
#endif

#endif
