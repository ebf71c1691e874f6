/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Userspace stand-ins for the hypervisor environment that Xen 4.17's VT-d files
 * (xen/drivers/passthrough/vtd/dmar.c) expect, so they compile unmodified and run
 * against vtd's model. Written for this harness; the Xen files themselves are fetched
 * at build time and never committed.
 */
#ifndef VTDSHIM_H
#define VTDSHIM_H
#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>
#include <string.h>
#include <stdlib.h>
#include <errno.h>
#include <stdarg.h>

typedef uint8_t u8; typedef uint16_t u16; typedef uint32_t u32; typedef uint64_t u64;
typedef int8_t s8; typedef int16_t s16; typedef int32_t s32; typedef int64_t s64;
typedef uint64_t paddr_t; typedef unsigned long mfn_t_raw; typedef int64_t s_time_t;
typedef uint8_t __u8; typedef uint16_t __u16; typedef uint32_t __u32; typedef uint64_t __u64;
#define PRIpaddr "016lx"

#define __init
#define __initdata
#define __initconst
#define __read_mostly
#define __ro_after_init
#define __must_check
#define __maybe_unused __attribute__((unused))
#define __used __attribute__((used))
#define __packed __attribute__((packed))
#define cf_check
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define BUILD_BUG_ON(c) ((void)sizeof(char[1 - 2 * !!(c)]))
#define ASSERT(p) ((void)0)
#define ASSERT_UNREACHABLE() ((void)0)
#define BUG() abort()
#define BUG_ON(c) do { if (c) abort(); } while (0)
#define WARN_ON(c) (c)
#define min(a, b) ((a) < (b) ? (a) : (b))
#define max(a, b) ((a) > (b) ? (a) : (b))
#define min_t(t, a, b) ((t)(a) < (t)(b) ? (t)(a) : (t)(b))
#define max_t(t, a, b) ((t)(a) > (t)(b) ? (t)(a) : (t)(b))
#define container_of(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))
#define __stringify_1(x) #x
#define __stringify(x) __stringify_1(x)
#define ACCESS_ONCE(x) (*(volatile __typeof__(x) *)&(x))
#define read_atomic(p) (*(volatile __typeof__(*(p)) *)(p))
#define write_atomic(p, v) (*(volatile __typeof__(*(p)) *)(p) = (v))
#define barrier() __asm__ __volatile__("" ::: "memory")
#define smp_wmb() barrier()
#define smp_rmb() barrier()
#define smp_mb() barrier()
#define wmb() barrier()
#define rmb() barrier()
#define cpu_relax() vtdshim_cpu_relax()
#define IS_ALIGNED(x, a) (((x) & ((typeof(x))(a) - 1)) == 0)
#define ROUNDUP(x, a) (((x) + (a) - 1) & ~((a) - 1))
#define DIV_ROUND_UP(n, d) (((n) + (d) - 1) / (d))
#define PAGE_SHIFT 12
#define PAGE_SIZE (1UL << PAGE_SHIFT)
#define PAGE_MASK (~(PAGE_SIZE - 1))
#define PAGE_OFFSET(p) ((unsigned long)(p) & ~PAGE_MASK)
#define PFN_DOWN(x) ((x) >> PAGE_SHIFT)
#define PFN_UP(x) (((x) + PAGE_SIZE - 1) >> PAGE_SHIFT)
#define MILLISECS(ms) ((s_time_t)(ms) * 1000000ULL)
#define SECONDS(s) ((s_time_t)(s) * 1000000000ULL)

/* printk: the harness captures the log. */
#define KERN_ERR "<0>"
#define KERN_WARNING "<1>"
#define KERN_INFO "<2>"
#define KERN_DEBUG "<3>"
#define XENLOG_ERR "<0>"
#define XENLOG_WARNING "<1>"
#define XENLOG_INFO "<2>"
#define XENLOG_DEBUG "<3>"
#define XENLOG_G_ERR "<0>"
#define XENLOG_G_WARNING "<1>"
#define XENLOG_G_INFO "<2>"
#define XENLOG_G_DEBUG "<3>"
void printk(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#ifdef NDEBUG
#define dprintk(lvl, fmt, ...) do {} while (0)
#define gdprintk(lvl, fmt, ...) do {} while (0)
#else
#define dprintk(lvl, fmt, ...) printk(lvl fmt, ##__VA_ARGS__)
#define gdprintk(lvl, fmt, ...) printk(lvl fmt, ##__VA_ARGS__)
#endif
#define panic(fmt, ...) vtdshim_panic(fmt, ##__VA_ARGS__)

/* Memory. */
#define xmalloc(t) ((t *)calloc(1, sizeof(t)))
#define xzalloc(t) ((t *)calloc(1, sizeof(t)))
#define xmalloc_array(t, n) ((t *)calloc((n), sizeof(t)))
#define xzalloc_array(t, n) ((t *)calloc((n), sizeof(t)))
#define xmalloc_bytes(n) calloc(1, (n))
#define xzalloc_bytes(n) calloc(1, (n))
#define xfree(p) free(p)
#define XFREE(p) do { free(p); (p) = NULL; } while (0)

/* Bits. */
#define BITS_PER_LONG 64
#define BITS_TO_LONGS(b) (((b) + BITS_PER_LONG - 1) / BITS_PER_LONG)
#define DECLARE_BITMAP(name, bits) unsigned long name[BITS_TO_LONGS(bits)]
static inline void set_bit(int nr, volatile void *addr) { ((unsigned long *)addr)[nr / 64] |= 1UL << (nr % 64); }
static inline void __set_bit(int nr, volatile void *addr) { set_bit(nr, addr); }
static inline void clear_bit(int nr, volatile void *addr) { ((unsigned long *)addr)[nr / 64] &= ~(1UL << (nr % 64)); }
static inline void __clear_bit(int nr, volatile void *addr) { clear_bit(nr, addr); }
static inline int test_bit(int nr, const volatile void *addr) { return (((const unsigned long *)addr)[nr / 64] >> (nr % 64)) & 1; }
static inline int test_and_set_bit(int nr, volatile void *addr) { int o = test_bit(nr, addr); set_bit(nr, addr); return o; }
static inline void bitmap_zero(unsigned long *d, unsigned int n) { memset(d, 0, BITS_TO_LONGS(n) * sizeof(long)); }
static inline void bitmap_fill(unsigned long *d, unsigned int n) { memset(d, 0xff, BITS_TO_LONGS(n) * sizeof(long)); }
#define find_first_bit(a, n) vtdshim_find_next_bit((a), (n), 0)
#define find_next_bit(a, n, o) vtdshim_find_next_bit((a), (n), (o))
static inline unsigned long vtdshim_find_next_bit(const unsigned long *a, unsigned long n, unsigned long o) { for (; o < n; o++) if (test_bit(o, a)) return o; return n; }
#define for_each_set_bit(b, a, n) for ((b) = find_first_bit((a), (n)); (b) < (n); (b) = find_next_bit((a), (n), (b) + 1))

/* Time. */
s_time_t NOW(void);

/* Hardware the harness routes to the model. */
void *ioremap(paddr_t pa, size_t len);
void iounmap(void *va);
uint32_t readl(const volatile void *a);
uint64_t readq(const volatile void *a);
void writel(uint32_t v, volatile void *a);
void writeq(uint64_t v, volatile void *a);
typedef bool bool_t;
typedef uint8_t nodeid_t;
typedef uint16_t domid_t;
#define __iomem
#define always_inline inline __attribute__((always_inline))
#define noinline __attribute__((noinline))
#define block_lock_speculation() ((void)0)
#define count_args_(dot, a1, a2, a3, a4, a5, a6, a7, a8, x, ...) x
#define count_args(args...) count_args_(., ## args, 8, 7, 6, 5, 4, 3, 2, 1, 0)
typedef struct { int unused; } spinlock_t;
#define DEFINE_SPINLOCK(l) spinlock_t l
#define spin_lock_init(l) ((void)(l))
#define spin_lock(l) ((void)(l))
#define spin_unlock(l) ((void)(l))
#define spin_lock_irqsave(l, f) ((void)(l), (f) = 0)
#define spin_unlock_irqrestore(l, f) ((void)(l), (void)(f))
typedef unsigned long xen_pfn_t;
typedef unsigned long xen_ulong_t;
typedef struct { unsigned long mfn; } mfn_t;
#define _mfn(x) ((mfn_t){ (x) })
#define mfn_x(m) ((m).mfn)
#define maddr_to_mfn(ma) _mfn((ma) >> PAGE_SHIFT)
#define PAGE_HYPERVISOR 0
int map_pages_to_xen(unsigned long va, mfn_t mfn, unsigned long nr, unsigned int flags);
nodeid_t pxm_to_node(unsigned int pxm);
#include <inttypes.h>
#include <limits.h>

#define NUMA_NO_NODE 0xff
#define DOMID_INVALID 0x7FF4U
#define pfn_to_paddr(p) ((paddr_t)(p) << PAGE_SHIFT)
#define paddr_to_pfn(a) ((unsigned long)((a) >> PAGE_SHIFT))
int mfn_valid(mfn_t m);
unsigned long simple_strtoul(const char *cp, const char **endp, unsigned int base);
extern bool cpu_has_x2apic;

/* What qinval.c and intremap.c add (the run-time half of the harness: c/bringup.c). */
#define PAGE_SHIFT_4K 12
#define PAGE_SIZE_4K (1UL << PAGE_SHIFT_4K)
#define PAGE_MASK_4K (~(PAGE_SIZE_4K - 1))
#define CONFIG_NR_CPUS 256 /* Xen's x86 default */
extern unsigned int iommu_dev_iotlb_timeout;
extern bool kexecing;
static inline void dump_execution_state(void) {}
#define WARN() printk("Xen WARN at %s:%d\n", __FILE__, __LINE__)
#define printk_once(fmt, ...) do { static bool once_; if (!once_) { once_ = true; printk(fmt, ##__VA_ARGS__); } } while (0)
static inline unsigned int get_order_from_bytes(unsigned long size)
{
    unsigned int order = 0;
    size = (size - 1) >> PAGE_SHIFT;
    for (; size; size >>= 1)
        order++;
    return order;
}
static inline unsigned int get_order_from_pages(unsigned long nr)
{
    unsigned int order = 0;
    nr--;
    for (; nr; nr >>= 1)
        order++;
    return order;
}
#define num_present_cpus() 1U
/*
 * Guest memory: the machine's RAM the model reads (queues, tables, status words) is
 * one buffer here; a machine address is an offset into it. Per-CPU variables live in
 * it too, so a wait descriptor's status address (virt_to_maddr of a per-CPU slot)
 * is memory the model can write.
 */
void *vtdshim_guest_percpu(size_t size);
paddr_t virt_to_maddr(const volatile void *va);
void *maddr_to_virt(paddr_t ma);
#define DEFINE_PER_CPU(t, n) __typeof__(t) *vtdshim_pc_##n
#define this_cpu(n) (*(vtdshim_pc_##n ? vtdshim_pc_##n : (vtdshim_pc_##n = vtdshim_guest_percpu(sizeof(*vtdshim_pc_##n)))))
/* A Xen panic or a wait that never ends ends the run (the harness's watchdog). */
void vtdshim_panic(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
void vtdshim_cpu_relax(void);
/* What the VT-d files read of a domain (its id, in dprintk()s of debug builds). */
struct domain { domid_t domain_id; };
struct domain *rcu_lock_domain_by_id(domid_t dom);
static inline void rcu_unlock_domain(struct domain *d) { (void)d; }
/* cmpxchg16b: one CPU, so a plain compare-and-store (Xen's asm/x86_64/system.h semantics). */
#define cpu_has_cx16 1
#define MASK_EXTR(v, m) (((v) & (m)) / ((m) & -(m)))
#define MASK_INSR(v, m) (((v) * ((m) & -(m))) & (m))
static inline __uint128_t vtdshim_cmpxchg16b(volatile void *p, const void *o, const void *n)
{
    __uint128_t prev, old, new_;
    memcpy(&prev, (const void *)p, 16);
    memcpy(&old, o, 16);
    memcpy(&new_, n, 16);
    if (prev == old)
        memcpy((void *)p, &new_, 16);
    return prev;
}
#define cmpxchg16b(ptr, o, n) vtdshim_cmpxchg16b((ptr), (o), (n))
extern enum system_state { SYS_STATE_early_boot, SYS_STATE_boot, SYS_STATE_smp_boot, SYS_STATE_active, SYS_STATE_suspend, SYS_STATE_resume } system_state;
extern bool x2apic_enabled;
#include <xen/irq.h>
#endif
