/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The run-time half of the harness: Xen 4.17's qinval.c and intremap.c (compiled
 * unmodified) bring a unit up against vtd's model, in the order iommu.c's
 * init_vtd_hw() does it.
 *
 * What is Xen's code here and what is ours:
 * - Xen's: disable_intremap(), disable_qinval(), enable_qinval(), enable_intremap(),
 *   the QI descriptors and waits behind iommu->flush.context/.iotlb (flush_context_qi,
 *   flush_iotlb_qi), iommu_flush_iec_global/_index(), msi_msg_write_remap_rte() with
 *   its IRTE allocation, encoding and IEC flush, and dmar.c's unit lookups.
 * - Ours, reimplemented from iommu.c because iommu.c does not build in userspace
 *   (each names the function it follows): clear_fault_bits(), iommu_set_root_entry(),
 *   iommu_flush_all(), iommu_enable_translation(), register-based invalidation
 *   (vtd_flush_context_reg, vtd_flush_iotlb_reg), the I/O APIC check of init_vtd_hw(),
 *   iommu_flush_iotlb_psi()'s fall-backs and rounding, and a second-level page table
 *   and context entry (domain_context_mapping_one(), reduced to one domain).
 *
 * Guest memory is one buffer; a machine address is GUEST_BASE + offset. Its first page
 * holds per-CPU variables (the QI poll slot), which survive a reset; the rest is a
 * bump allocator that a bring-up resets. cpu_relax() lets the model's clock run and
 * NOW() follows it; a wait that never ends hits the watchdog, which ends the run with
 * a "hang" instead of spinning forever.
 */
#include "vtdshim.h"
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/mman.h>
#include <xen/acpi.h>
#include <xen/iommu.h>
#include <asm/msi.h>
#include <asm/io_apic.h>
#include "dmar.h"
#include "iommu.h"
#include "extern.h"
#include "vtd.h"

extern void vtd_harness_mmio_write(uint64_t addr, uint32_t size, uint64_t value);
extern void vtd_harness_relax(uint64_t ns);
extern int vtd_harness_pci_kind(uint32_t seg, uint32_t bus, uint32_t devfn);
extern int vtd_harness_bridge_of(uint32_t seg, uint32_t bus);

/* Xen's globals that qinval.c and intremap.c read. */
unsigned int iommu_dev_iotlb_timeout = 1000;
bool kexecing;
enum system_state system_state = SYS_STATE_boot;
bool x2apic_enabled;
int nr_ioapics = 1;
int nr_ioapic_entries[MAX_IO_APICS] = { 24 };
struct mpc_config_ioapic mp_ioapics[MAX_IO_APICS]; /* QEMU's I/O APIC: id 0 */

/* ---- Guest memory ------------------------------------------------------------ */

#define GUEST_BASE 0x100000ULL
#define GUEST_SIZE (16ULL << 20)
static uint8_t *ram;
static size_t percpu_used, pages_used = PAGE_SIZE;

static void ram_init(void)
{
    if (ram)
        return;
    ram = mmap(NULL, GUEST_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (ram == MAP_FAILED)
        abort();
}

uint8_t *vtd_harness_ram(uint64_t *base, uint64_t *len)
{
    ram_init();
    *base = GUEST_BASE;
    *len = GUEST_SIZE;
    return ram;
}

void *vtdshim_guest_percpu(size_t size)
{
    ram_init();
    size = (size + 15) & ~(size_t)15;
    if (percpu_used + size > PAGE_SIZE)
        abort();
    void *p = ram + percpu_used;
    percpu_used += size;
    return p;
}

paddr_t virt_to_maddr(const volatile void *va)
{
    const uint8_t *p = (const uint8_t *)va;
    if (!ram || p < ram || p >= ram + GUEST_SIZE)
        vtdshim_panic("virt_to_maddr(%p): not guest memory\n", (void *)p);
    return GUEST_BASE + (paddr_t)(p - ram);
}

void *maddr_to_virt(paddr_t ma)
{
    if (!ram || ma < GUEST_BASE || ma >= GUEST_BASE + GUEST_SIZE)
        vtdshim_panic("maddr_to_virt(%#lx): not guest memory\n", (unsigned long)ma);
    return ram + (ma - GUEST_BASE);
}

/* Xen's alloc_pgtable_maddr(): zeroed pages (0 when memory is exhausted). */
u64 alloc_pgtable_maddr(unsigned long npages, nodeid_t node)
{
    (void)node;
    ram_init();
    size_t bytes = (size_t)npages * PAGE_SIZE;
    if (!npages || pages_used + bytes > GUEST_SIZE)
        return 0;
    u64 ma = GUEST_BASE + pages_used;
    memset(ram + pages_used, 0, bytes);
    pages_used += bytes;
    return ma;
}

void free_pgtable_maddr(u64 maddr) { (void)maddr; }
void *map_vtd_domain_page(u64 maddr) { return maddr_to_virt(maddr); }
void unmap_vtd_domain_page(const void *va) { (void)va; }
void iommu_sync_cache(const void *addr, unsigned int size) { (void)addr; (void)size; }

/* ---- Time, the watchdog, panics ----------------------------------------------- */

/* One cpu_relax() lets 1 us pass; a run ends as a hang after 2 s of waiting. */
#define RELAX_NS 1000ULL
#define WATCHDOG_NS (2ULL * 1000 * 1000 * 1000)
static s_time_t now_ns, watchdog_from;
static jmp_buf *armed;
static char stop_reason[256];

s_time_t NOW(void) { return now_ns; }

static void stop(const char *why)
{
    snprintf(stop_reason, sizeof(stop_reason), "%s", why);
    if (!armed)
        abort();
    longjmp(*armed, 1);
}

void vtdshim_cpu_relax(void)
{
    now_ns += RELAX_NS;
    vtd_harness_relax(RELAX_NS);
    if (now_ns - watchdog_from > (s_time_t)WATCHDOG_NS)
        stop("hang: a wait did not end within 2 s of model time");
}

void vtdshim_format(char *out, size_t cap, const char *fmt, va_list ap);

void vtdshim_panic(const char *fmt, ...)
{
    char buf[200];
    va_list ap;
    va_start(ap, fmt);
    vtdshim_format(buf, sizeof(buf), fmt, ap); /* Xen's %pp included */
    va_end(ap);
    printk("Xen panic: %s", buf);
    char why[256];
    snprintf(why, sizeof(why), "panic: %s", buf);
    stop(why);
    abort();
}


/* ---- What intremap.c and qinval.c call outside themselves ----------------------- */

static uint32_t ioapic_window[MAX_IO_APICS][64];
unsigned long vtdshim_fix_to_virt(unsigned int idx)
{
    return (unsigned long)ioapic_window[idx % MAX_IO_APICS];
}

struct IO_APIC_route_entry __ioapic_read_entry(unsigned int apic, unsigned int pin, bool raw)
{
    (void)apic; (void)pin; (void)raw;
    struct IO_APIC_route_entry e;
    memset(&e, 0, sizeof(e));
    return e;
}

void __ioapic_write_entry(unsigned int apic, unsigned int pin, bool raw, struct IO_APIC_route_entry e)
{
    (void)apic; (void)pin; (void)raw; (void)e;
}

irq_desc_t *pirq_spin_lock_irq_desc(const struct pirq *pirq, unsigned long *flags)
{
    (void)pirq; (void)flags;
    return NULL;
}

bool_t pcidevs_locked(void) { return 1; }
struct domain *rcu_lock_domain_by_id(domid_t dom) { (void)dom; return NULL; }
domid_t did_to_domain_id(const struct vtd_iommu *iommu, unsigned int did) { (void)iommu; return (domid_t)did; }
void iommu_dev_iotlb_flush_timeout(struct domain *d, struct pci_dev *pdev) { (void)d; (void)pdev; }

/* Device-TLBs: the harness's devices have no ATS, so there is nothing to flush. */
int dev_invalidate_iotlb(struct vtd_iommu *iommu, u16 did, u64 addr, unsigned int size_order, u64 type)
{
    (void)iommu; (void)did; (void)addr; (void)size_order; (void)type;
    return 0;
}

/* xen/drivers/passthrough/pci.c find_upstream_bridge(), over the machine's bridges. */
int find_upstream_bridge(u16 seg, u8 *bus, u8 *devfn, u8 *secbus)
{
    int count = 0;
    while (*bus != 0 && count++ < 256) {
        int b = vtd_harness_bridge_of(seg, *bus);
        if (b < 0)
            return -1;
        *secbus = *bus;
        *bus = (u8)(b >> 8);
        *devfn = (u8)b;
        if (vtd_harness_pci_kind(seg, *bus, *devfn) == DEV_TYPE_PCIe2PCI_BRIDGE)
            return 1;
    }
    return count ? 1 : 0;
}

enum pdev_type pdev_type(u16 seg, u8 bus, u8 devfn)
{
    return (enum pdev_type)vtd_harness_pci_kind(seg, bus, devfn);
}

/* ---- iommu.c, reimplemented: the pieces init_vtd_hw() needs ---------------------- */

/*
 * iommu.c clear_fault_bits(), loop bound included: `end` is the first record's offset
 * plus the number of records (not 16 times it), so with fewer than 17 records only
 * record 0 has its F bit cleared.
 */
void clear_fault_bits(struct vtd_iommu *iommu)
{
    if (dmar_readl(iommu->reg, DMAR_FSTS_REG) & DMA_FSTS_PPF) {
        unsigned int reg = cap_fault_reg_offset(iommu->cap);
        unsigned int end = reg + cap_num_fault_regs(iommu->cap);
        do {
            dmar_writel(iommu->reg, reg + 12, DMA_FRCD_F);
            reg += 16;
        } while (reg < end);
    }
    dmar_writel(iommu->reg, DMAR_FSTS_REG, DMA_FSTS_FAULTS);
}

/* iommu.c vtd_flush_context_reg(): CCMD with ICC, wait for ICC to clear. */
int cf_check vtd_flush_context_reg(struct vtd_iommu *iommu, uint16_t did, uint16_t source_id,
                                   uint8_t function_mask, uint64_t type, bool flush_non_present_entry)
{
    u64 val = 0;
    if (flush_non_present_entry) {
        if (!cap_caching_mode(iommu->cap))
            return 1;
        did = 0;
    }
    switch (type) {
    case DMA_CCMD_GLOBAL_INVL: val = DMA_CCMD_GLOBAL_INVL; break;
    case DMA_CCMD_DOMAIN_INVL: val = DMA_CCMD_DOMAIN_INVL | DMA_CCMD_DID(did); break;
    case DMA_CCMD_DEVICE_INVL:
        val = DMA_CCMD_DEVICE_INVL | DMA_CCMD_DID(did) | DMA_CCMD_SID(source_id) | DMA_CCMD_FM(function_mask);
        break;
    default: BUG();
    }
    val |= DMA_CCMD_ICC;
    dmar_writeq(iommu->reg, DMAR_CCMD_REG, val);
    IOMMU_WAIT_OP(iommu, DMAR_CCMD_REG, dmar_readq, !(val & DMA_CCMD_ICC), val);
    return 0;
}

/* iommu.c vtd_flush_iotlb_reg(): IOTLB register at ECAP.IRO, IVA for page-selective. */
int cf_check vtd_flush_iotlb_reg(struct vtd_iommu *iommu, uint16_t did, uint64_t addr,
                                 unsigned int size_order, uint64_t type,
                                 bool flush_non_present_entry, bool flush_dev_iotlb)
{
    int tlb_offset = ecap_iotlb_offset(iommu->ecap);
    u64 val = type | DMA_TLB_IVT, val_iva = 0;
    (void)flush_dev_iotlb;
    if (flush_non_present_entry) {
        if (!cap_caching_mode(iommu->cap))
            return 1;
        did = 0;
    }
    switch (type) {
    case DMA_TLB_GLOBAL_FLUSH: break;
    case DMA_TLB_DSI_FLUSH: val |= DMA_TLB_DID(did); break;
    case DMA_TLB_PSI_FLUSH:
        val |= DMA_TLB_DID(did);
        val_iva = size_order | addr;
        break;
    default: BUG();
    }
    if (cap_write_drain(iommu->cap))
        val |= DMA_TLB_WRITE_DRAIN;
    if (cap_read_drain(iommu->cap))
        val |= DMA_TLB_READ_DRAIN;
    if (val_iva)
        dmar_writeq(iommu->reg, tlb_offset, val_iva);
    dmar_writeq(iommu->reg, tlb_offset + 8, val);
    IOMMU_WAIT_OP(iommu, (tlb_offset + 8), dmar_readq, !(val & DMA_TLB_IVT), val);
    return 0;
}

/* iommu.c iommu_set_root_entry(). */
static int set_root_entry(struct vtd_iommu *iommu)
{
    u32 sts;
    dmar_writeq(iommu->reg, DMAR_RTADDR_REG, iommu->root_maddr);
    sts = dmar_readl(iommu->reg, DMAR_GSTS_REG);
    dmar_writel(iommu->reg, DMAR_GCMD_REG, sts | DMA_GCMD_SRTP);
    IOMMU_WAIT_OP(iommu, DMAR_GSTS_REG, dmar_readl, (sts & DMA_GSTS_RTPS), sts);
    return 0;
}

/* iommu.c iommu_flush_all(): global context, global IOTLB, then the IEC. */
static int flush_all(void)
{
    struct acpi_drhd_unit *drhd;
    int rc = 0;
    for_each_drhd_unit (drhd) {
        struct vtd_iommu *iommu = drhd->iommu;
        int c = iommu->flush.context(iommu, 0, 0, 0, DMA_CCMD_GLOBAL_INVL, false);
        int t = iommu->flush.iotlb(iommu, 0, 0, 0, DMA_TLB_GLOBAL_FLUSH, false, false);
        if (iommu_intremap && iommu->intremap.maddr) {
            int i = iommu_flush_iec_global(iommu);
            if (i < 0 && !rc)
                rc = i;
        }
        if (c < 0 && !rc)
            rc = c;
        if (t < 0 && !rc)
            rc = t;
    }
    return rc;
}

/* iommu.c iommu_enable_translation(). */
static void enable_translation(struct vtd_iommu *iommu)
{
    u32 sts = dmar_readl(iommu->reg, DMAR_GSTS_REG);
    dmar_writel(iommu->reg, DMAR_GCMD_REG, sts | DMA_GCMD_TE);
    IOMMU_WAIT_OP(iommu, DMAR_GSTS_REG, dmar_readl, (sts & DMA_GSTS_TES), sts);
}

/*
 * iommu.c vtd_setup() up to init_vtd_hw(): a feature stays on only if every unit has
 * it, and the summary lines Xen prints. Left out: the fault-event IRQ
 * (iommu_set_interrupt), quirks, and the "Shared EPT tables" line, which depends on
 * the CPU's EPT capabilities rather than on the units.
 */
static int vtd_setup(void)
{
    struct acpi_drhd_unit *drhd;
    bool reg_inval_supported = true, intpost = true;

    if (list_empty(&acpi_drhd_units))
        return -ENODEV;
    for_each_drhd_unit (drhd) {
        struct vtd_iommu *iommu = drhd->iommu;
        printk("Intel VT-d iommu %u supported page sizes: 4kB%s%s\n", iommu->index,
               cap_sps_2mb(iommu->cap) ? ", 2MB" : "", cap_sps_1gb(iommu->cap) ? ", 1GB" : "");
        if (iommu_snoop && !ecap_snp_ctl(iommu->ecap))
            iommu_snoop = false;
        if (iommu_hwdom_passthrough && !ecap_pass_thru(iommu->ecap))
            iommu_hwdom_passthrough = false;
        if (iommu_qinval && !ecap_queued_inval(iommu->ecap))
            iommu_qinval = 0;
        if (!has_register_based_invalidation(iommu))
            reg_inval_supported = false;
        if (iommu_intremap && !ecap_intr_remap(iommu->ecap))
            iommu_intremap = iommu_intremap_off;
        if (!cap_intr_post(iommu->cap) || !iommu_intremap || !cpu_has_cx16)
            intpost = false;
    }
    if (!iommu_qinval && !reg_inval_supported)
        return -ENODEV;
    if (!iommu_qinval && iommu_intremap)
        iommu_intremap = iommu_intremap_off;
#define P(p, s) printk("Intel VT-d %s %senabled.\n", s, (p) ? "" : "not ")
    P(iommu_snoop, "Snoop Control");
    P(iommu_hwdom_passthrough, "Dom0 DMA Passthrough");
    P(iommu_qinval, "Queued Invalidation");
    P(iommu_intremap, "Interrupt Remapping");
    P(intpost, "Posted Interrupt");
#undef P
    return 0;
}

/* iommu.c init_vtd_hw(false), then translation on. */
static int init_vtd_hw(void)
{
    struct acpi_drhd_unit *drhd;
    struct vtd_iommu *iommu;
    u32 sts;

    for_each_drhd_unit (drhd) {
        iommu = drhd->iommu;
        clear_fault_bits(iommu);
        disable_intremap(iommu);
        disable_qinval(iommu);
        sts = dmar_readl(iommu->reg, DMAR_FECTL_REG);
        dmar_writel(iommu->reg, DMAR_FECTL_REG, sts & ~DMA_FECTL_IM);
    }
    for_each_drhd_unit (drhd) {
        iommu = drhd->iommu;
        if (enable_qinval(iommu) != 0) {
            if (!has_register_based_invalidation(iommu))
                return -EIO;
            iommu->flush.context = vtd_flush_context_reg;
            iommu->flush.iotlb = vtd_flush_iotlb_reg;
        }
    }
    if (iommu_intremap) {
        for (int apic = 0; apic < nr_ioapics; apic++)
            if (ioapic_to_iommu(IO_APIC_ID(apic)) == NULL) {
                iommu_intremap = iommu_intremap_off;
                break;
            }
    }
    if (iommu_intremap) {
        for_each_drhd_unit (drhd)
            if (enable_intremap(drhd->iommu, 0) != 0) {
                iommu_intremap = iommu_intremap_off;
                break;
            }
        if (!iommu_intremap)
            for_each_drhd_unit (drhd)
                disable_intremap(drhd->iommu);
    }
    for_each_drhd_unit (drhd) {
        iommu = drhd->iommu;
        iommu->root_maddr = alloc_pgtable_maddr(1, iommu->node);
        if (!iommu->root_maddr)
            return -ENOMEM;
        set_root_entry(iommu);
    }
    return flush_all();
}

/* ---- The bring-up and what a run does afterwards ------------------------------- */

/*
 * Domain 1's second-level table, one domain for every device: 4 levels (48-bit) when
 * every unit's SAGAW has them, else 3 (39-bit; QEMU 7.2's default aw-bits).
 */
#define DOMAIN_ID 1
static u64 pgd;
static unsigned int levels;

static u64 *pte_slot(u64 table, unsigned int level, u64 iova)
{
    unsigned int idx = (unsigned int)((iova >> (12 + 9 * (level - 1))) & 511);
    return (u64 *)maddr_to_virt(table) + idx;
}

/*
 * Walk to the leaf slot of `iova`, allocating tables on the way (iommu.c
 * addr_to_dma_page_maddr() with alloc = 1); NULL when memory runs out.
 */
static u64 *leaf(u64 iova, bool alloc)
{
    u64 table = pgd;
    if (levels == 3 && (iova >> 39))
        return NULL;
    for (unsigned int level = levels; level > 1; level--) {
        u64 *e = pte_slot(table, level, iova);
        if (!(*e & 3)) {
            if (!alloc)
                return NULL;
            u64 t = alloc_pgtable_maddr(1, 0);
            if (!t)
                return NULL;
            *e = t | 3;
        }
        table = *e & ~0xfffULL & ((1ULL << 52) - 1);
    }
    return pte_slot(table, 1, iova);
}

/* iommu.c domain_context_mapping_one(), legacy mode, for domain 1's table. */
static int map_context(struct acpi_drhd_unit *drhd, u8 bus, u8 devfn)
{
    struct vtd_iommu *iommu = drhd->iommu;
    u64 *root = (u64 *)maddr_to_virt(iommu->root_maddr) + 2 * bus;
    if (!(root[0] & 1)) {
        u64 ctx = alloc_pgtable_maddr(1, iommu->node);
        if (!ctx)
            return -ENOMEM;
        root[0] = ctx | 1;
    }
    u64 *ce = (u64 *)maddr_to_virt(root[0] & ~0xfffULL) + 2 * devfn;
    unsigned int agaw = levels - 2; /* SAGAW bit: 1 = 3-level, 2 = 4-level */
    if (!(cap_sagaw(iommu->cap) & (1u << agaw)))
        return -ENODEV;
    ce[1] = agaw | ((u64)DOMAIN_ID << 8);
    ce[0] = pgd | 1; /* present, translation type 0 (untranslated requests) */
    /* A context entry went from not-present to present: Xen's non-present flushes. */
    int rc = iommu->flush.context(iommu, DOMAIN_ID, PCI_BDF(bus, devfn), DMA_CCMD_MASK_NOBIT,
                                  DMA_CCMD_DEVICE_INVL, true);
    if (rc > 0)
        return iommu->flush.iotlb(iommu, DOMAIN_ID, 0, 0, DMA_TLB_DSI_FLUSH, true, false) < 0 ? -EIO : 0;
    rc = iommu->flush.iotlb(iommu, 0, 0, 0, DMA_TLB_DSI_FLUSH, true, false);
    return rc < 0 ? rc : 0;
}

struct vtd_harness_bring_up {
    int ret;          /* init_vtd_hw()'s return */
    int stopped;      /* 1: hang or panic (see vtd_harness_stop_reason) */
    int qi, ir, te;   /* what GSTS says afterwards (first unit) */
};

const char *vtd_harness_stop_reason(void) { return stop_reason; }

/* Every device the harness hands Xen's code belongs to the hardware domain. */
static struct domain dom0 = { .domain_id = 0 };
static struct pci_dev devs[16];
static bool dev_used[16];
static struct msi_desc msis[16];

/*
 * Bring every unit dmar.c kept up (acpi_dmar_init() must have accepted the table in
 * this process). May be called again: the guest pages and each unit's queue,
 * interrupt table and root are reallocated (the model is reset by the caller).
 */
void vtd_harness_bring_up(struct vtd_harness_bring_up *out, int qinval, int intremap, int snoop)
{
    struct acpi_drhd_unit *drhd;
    jmp_buf jb;

    memset(out, 0, sizeof(*out));
    ram_init();
    /* alloc_pgtable_maddr() zeroes what it hands out, so resetting the bump pointer
     * is enough (no 16 MiB memset per bring-up). */
    pages_used = PAGE_SIZE;
    memset(devs, 0, sizeof(devs));
    memset(dev_used, 0, sizeof(dev_used));
    memset(msis, 0, sizeof(msis));
    stop_reason[0] = 0;
    iommu_qinval = qinval != 0;
    iommu_intremap = intremap ? iommu_intremap_full : iommu_intremap_off;
    iommu_snoop = snoop != 0;
    iommu_hwdom_passthrough = false;
    for_each_drhd_unit (drhd) {
        drhd->iommu->qinval_maddr = 0;
        drhd->iommu->intremap.maddr = 0;
        drhd->iommu->intremap.num = 0;
        drhd->iommu->root_maddr = 0;
    }
    armed = &jb;
    watchdog_from = now_ns;
    if (setjmp(jb)) {
        armed = NULL;
        out->ret = -EIO;
        out->stopped = 1;
        return;
    }
    out->ret = vtd_setup();
    if (!out->ret)
        out->ret = init_vtd_hw();
    if (!out->ret) {
        pgd = alloc_pgtable_maddr(1, 0);
        levels = 4;
        for_each_drhd_unit (drhd)
            if (!(cap_sagaw(drhd->iommu->cap) & 4))
                levels = 3;
        for_each_drhd_unit (drhd)
            enable_translation(drhd->iommu);
    }
    armed = NULL;
    if (!list_empty(&acpi_drhd_units)) {
        drhd = list_first_entry(&acpi_drhd_units, struct acpi_drhd_unit, list);
        u32 sts = dmar_readl(drhd->iommu->reg, DMAR_GSTS_REG);
        out->qi = !!(sts & DMA_GSTS_QIES);
        out->ir = !!(sts & DMA_GSTS_IRES);
        out->te = !!(sts & DMA_GSTS_TES);
    }
}

/* Run `f` under the watchdog; -EINTR when Xen's code hung or panicked. */
#define GUARDED(...)                       \
    do {                                   \
        jmp_buf jb_;                       \
        armed = &jb_;                      \
        watchdog_from = now_ns;            \
        if (setjmp(jb_)) {                 \
            armed = NULL;                  \
            return -EINTR;                 \
        }                                  \
        __VA_ARGS__;                       \
        armed = NULL;                      \
    } while (0)

/* The pci_dev Xen's code sees for seg:bus:devfn (made on first use). */
static struct pci_dev *pdev_of(u16 seg, u8 bus, u8 devfn)
{
    for (unsigned int i = 0; i < ARRAY_SIZE(devs); i++)
        if (dev_used[i] && devs[i].seg == seg && devs[i].bus == bus && devs[i].devfn == devfn)
            return &devs[i];
    for (unsigned int i = 0; i < ARRAY_SIZE(devs); i++)
        if (!dev_used[i]) {
            pci_sbdf_t sbdf = PCI_SBDF(seg, bus, devfn);
            dev_used[i] = true;
            memcpy((void *)&devs[i].sbdf, &sbdf, sizeof(sbdf)); /* a const member in Xen */
            devs[i].type = (enum pdev_type)vtd_harness_pci_kind(seg, bus, devfn);
            devs[i].domain = &dom0;
            return &devs[i];
        }
    return NULL;
}

static struct acpi_drhd_unit *unit_of(u16 seg, u8 bus, u8 devfn)
{
    struct pci_dev *pdev = pdev_of(seg, bus, devfn);
    return pdev ? acpi_find_matched_drhd_unit(pdev) : NULL;
}

/* Give device seg:bus:devfn domain 1's table (context entry and Xen's flushes). */
int vtd_harness_attach(u16 seg, u8 bus, u8 devfn)
{
    int rc = -ENODEV;
    GUARDED({
        struct acpi_drhd_unit *drhd = unit_of(seg, bus, devfn);
        if (drhd)
            rc = map_context(drhd, bus, devfn);
    });
    return rc;
}

/*
 * Map (pa != ~0) or unmap (pa == ~0) `count` 4 KiB pages at `dfn`, then flush the way
 * iommu.c iommu_flush_iotlb() → iommu_flush_iotlb_psi() does: domain-selective unless
 * `count` is a power of two and `dfn` is aligned to it, and when the unit has no
 * page-selective invalidation or the order exceeds CAP.MAMV; else page-selective,
 * as a non-present-entry flush when every entry was empty before (IOMMU_FLUSHF_added
 * alone) and a real one when any was present (IOMMU_FLUSHF_modified: an unmap, or a
 * map over a mapping, as intel_iommu_map_page() marks it). `flush` 0 leaves the
 * flush out (a driver bug).
 */
int vtd_harness_map(u64 dfn, u64 count, u64 pa, int write, int flush)
{
    int rc = 0;
    bool modified = false;
    GUARDED({
        for (u64 i = 0; i < count && !rc; i++) {
            u64 *e = leaf((dfn + i) << 12, pa != ~0ULL);
            if (!e) {
                rc = pa == ~0ULL ? 0 : -ENOMEM;
                continue;
            }
            modified |= (*e & 3) != 0;
            *e = pa == ~0ULL ? 0 : ((pa + (i << 12)) | 1 | (write ? 2 : 0));
        }
        struct acpi_drhd_unit *drhd;
        if (flush && !rc)
            for_each_drhd_unit (drhd) {
                struct vtd_iommu *iommu = drhd->iommu;
                unsigned int order = get_order_from_pages(count);
                bool psi = count && !(count & (count - 1)) && IS_ALIGNED(dfn, count) &&
                           cap_pgsel_inv(iommu->cap) && order <= cap_max_amask_val(iommu->cap);
                int r = psi ? iommu->flush.iotlb(iommu, DOMAIN_ID, dfn << 12, order, DMA_TLB_PSI_FLUSH,
                                                 !modified, false)
                            : iommu->flush.iotlb(iommu, DOMAIN_ID, 0, 0, DMA_TLB_DSI_FLUSH, false, false);
                if (r < 0 && !rc)
                    rc = r;
            }
    });
    return rc;
}

/*
 * Program an MSI for device seg:bus:devfn through intremap.c msi_msg_write_remap_rte():
 * `slot` names the device's MSI (its IRTE index is kept across calls, as Xen keeps
 * msi_desc->remap_index); `*addr_lo`/`*data` carry the compatibility-format message
 * in and the remappable one Xen wrote out. `vector` < 0 frees the entry.
 */
int vtd_harness_msi(unsigned int slot, u16 seg, u8 bus, u8 devfn, int vector, u32 dest,
                    u32 *addr_lo, u32 *data)
{
    int rc = -EINVAL;
    if (slot >= ARRAY_SIZE(msis))
        return rc;
    GUARDED({
        struct msi_desc *m = &msis[slot];
        if (!m->dev) {
            m->dev = pdev_of(seg, bus, devfn);
            m->remap_index = -1;
            m->msi_attrib.type = PCI_CAP_ID_MSIX;
        }
        if (vector < 0) {
            rc = m->dev ? msi_msg_write_remap_rte(m, NULL) : 0;
            /* The slot is free for another device (a new msi_desc in Xen). */
            memset(m, 0, sizeof(*m));
        } else {
            struct msi_msg msg = {
                .address_lo = 0xfee00000u | ((dest & 0xff) << 12),
                .address_hi = 0,
                .data = (u32)vector & 0xff,
                .dest32 = dest,
            };
            rc = msi_msg_write_remap_rte(m, &msg);
            *addr_lo = msg.address_lo;
            *data = msg.data;
        }
    });
    return rc;
}

/*
 * Xen's qinval_device_iotlb_sync() for seg:bus:devfn as an ATS device (invalidation
 * queue depth 32): the device-TLB descriptor and Xen's wait for it, as
 * iommu_flush_iotlb() issues them for a domain with ATS devices.
 */
int vtd_harness_dev_iotlb(u16 seg, u8 bus, u8 devfn)
{
    int rc = -ENODEV;
    GUARDED({
        struct pci_dev *pdev = pdev_of(seg, bus, devfn);
        struct acpi_drhd_unit *drhd = pdev ? acpi_find_matched_drhd_unit(pdev) : NULL;
        if (drhd && drhd->iommu->qinval_maddr) {
            pdev->ats.queue_depth = 32;
            rc = qinval_device_iotlb_sync(drhd->iommu, pdev, DOMAIN_ID, 0, 0);
        }
    });
    return rc;
}

/* Xen's IEC flushes on their own (what a driver does after rewriting IRTEs). */
int vtd_harness_flush_iec(int global, u16 index)
{
    int rc = 0;
    GUARDED({
        struct acpi_drhd_unit *drhd;
        for_each_drhd_unit (drhd) {
            int r = global ? iommu_flush_iec_global(drhd->iommu)
                           : iommu_flush_iec_index(drhd->iommu, 0, index);
            if (r < 0 && !rc)
                rc = r;
        }
    });
    return rc;
}

/* Xen's global flushes (context, IOTLB, IEC) through the QI or register paths. */
int vtd_harness_flush_all(void)
{
    int rc = 0;
    GUARDED(rc = flush_all());
    return rc;
}
