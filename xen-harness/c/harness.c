/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The hypervisor around Xen 4.17's dmar.c: globals, printk captured into lines, the
 * table handed over through tboot_parse_dmar_table(), MMIO, PCI configuration and the
 * E820 map answered by callbacks into Rust (the machine and vtd's model).
 *
 * iommu_alloc() and iommu_free() live in iommu.c, which does not build in userspace;
 * iommu_alloc() is reimplemented here with Xen 4.17's register reads, checks and
 * messages (xen/drivers/passthrough/vtd/iommu.c iommu_alloc()), and nothing else.
 */
#include "vtdshim.h"
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>
#include <xen/acpi.h>
#include <xen/iommu.h>
#include <asm/e820.h>
#include "dmar.h"
#include "iommu.h"
#include "extern.h"

/* Callbacks the Rust side provides. */
extern uint64_t vtd_harness_mmio_read(uint64_t addr, uint32_t size);
extern int vtd_harness_pci_present(uint32_t seg, uint32_t bus, uint32_t dev, uint32_t fn);
extern uint32_t vtd_harness_pci_read8(uint32_t seg, uint32_t bus, uint32_t dev, uint32_t fn, uint32_t reg);
extern int vtd_harness_e820_all_mapped(uint64_t start, uint64_t end, uint32_t type);
extern void vtd_harness_log(const char *line);

/* Xen's globals that dmar.c reads. */
bool iommu_enable = true, iommu_enabled, force_iommu, iommu_verbose, iommu_igfx = true;
bool iommu_qinval = true, iommu_snoop = true, iommu_hwdom_inclusive, iommu_hwdom_passthrough;
enum iommu_intremap iommu_intremap = iommu_intremap_full;
const struct iommu_init_ops *iommu_init_ops;
const struct iommu_init_ops intel_iommu_init_ops;
bool cpu_has_x2apic = true;
static unsigned int nr_iommus;
#define PRIMARY_FAULT_REG_LEN 16 /* iommu.c */

/*
 * printk: one Rust call per line, the level prefix dropped (loglvl=all). Xen's own
 * format extension %pp (a pci_sbdf_t *, printed SSSS:BB:DD.F) is handled here; every
 * other conversion goes to the C library one at a time.
 */
static char pending[4096];

void vtdshim_format(char *out, size_t cap, const char *fmt, va_list ap)
{
    size_t n = 0;
    out[0] = 0;
    while (*fmt && n + 1 < cap) {
        if (*fmt != '%') {
            out[n++] = *fmt++;
            out[n] = 0;
            continue;
        }
        if (fmt[1] == '%') {
            out[n++] = '%';
            out[n] = 0;
            fmt += 2;
            continue;
        }
        if (fmt[1] == 'p' && fmt[2] == 'p') {
            const pci_sbdf_t *sbdf = va_arg(ap, const pci_sbdf_t *);
            n += (size_t)snprintf(out + n, cap - n, "%04x:%02x:%02x.%u", sbdf->seg, sbdf->bus, sbdf->dev, sbdf->fn);
            fmt += 3;
            continue;
        }
        /* One conversion: flags, width, precision, length, type. */
        char spec[32];
        size_t k = 0;
        spec[k++] = *fmt++;
        while (*fmt && strchr("-+ #0", *fmt) && k < 20)
            spec[k++] = *fmt++;
        int star = 0;
        while (*fmt && (strchr("0123456789.", *fmt) || *fmt == '*') && k < 24) {
            if (*fmt == '*')
                star++;
            spec[k++] = *fmt++;
        }
        int longs = 0, size_t_ = 0;
        while (*fmt && strchr("hlzjt", *fmt) && k < 28) {
            if (*fmt == 'l')
                longs++;
            if (*fmt == 'z')
                size_t_ = 1;
            spec[k++] = *fmt++;
        }
        char conv = *fmt ? *fmt++ : 0;
        spec[k++] = conv;
        spec[k] = 0;
        int w1 = star > 0 ? va_arg(ap, int) : 0, w2 = star > 1 ? va_arg(ap, int) : 0;
        switch (conv) {
        case 'd': case 'i': case 'u': case 'x': case 'X': case 'o': case 'c':
            if (longs || size_t_) {
                long long v = longs >= 2 ? va_arg(ap, long long) : (long long)va_arg(ap, long);
                n += (size_t)(star == 2 ? snprintf(out + n, cap - n, spec, w1, w2, v) : star ? snprintf(out + n, cap - n, spec, w1, v) : snprintf(out + n, cap - n, spec, v));
            } else {
                int v = va_arg(ap, int);
                n += (size_t)(star == 2 ? snprintf(out + n, cap - n, spec, w1, w2, v) : star ? snprintf(out + n, cap - n, spec, w1, v) : snprintf(out + n, cap - n, spec, v));
            }
            break;
        case 's': {
            const char *v = va_arg(ap, const char *);
            n += (size_t)(star ? snprintf(out + n, cap - n, spec, w1, v) : snprintf(out + n, cap - n, spec, v ? v : "(null)"));
            break;
        }
        case 'p': {
            void *v = va_arg(ap, void *);
            n += (size_t)snprintf(out + n, cap - n, "%p", v);
            break;
        }
        default:
            break;
        }
        if (n >= cap)
            n = cap - 1;
    }
}

void printk(const char *fmt, ...)
{
    char buf[2048];
    va_list ap;
    va_start(ap, fmt);
    vtdshim_format(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    const char *p = buf;
    while (p[0] == '<' && p[1] >= '0' && p[1] <= '9' && p[2] == '>')
        p += 3;
    strncat(pending, p, sizeof(pending) - strlen(pending) - 1);
    char *nl;
    while ((nl = strchr(pending, '\n')) != NULL) {
        *nl = 0;
        vtd_harness_log(pending);
        memmove(pending, nl + 1, strlen(nl + 1) + 1);
    }
}


/* MMIO: a mapping remembers its physical base; reads go to the model. */
struct mapping { paddr_t pa; size_t len; char *va; };
static struct mapping maps[64];
static unsigned int nr_maps;

void *ioremap(paddr_t pa, size_t len)
{
    if (nr_maps == ARRAY_SIZE(maps))
        return NULL;
    char *va = calloc(1, len);
    if (!va)
        return NULL;
    maps[nr_maps++] = (struct mapping){ pa, len, va };
    return va;
}

void iounmap(void *va)
{
    (void)va;
}

static uint64_t mmio(const volatile void *a, uint32_t size)
{
    for (unsigned int i = 0; i < nr_maps; i++) {
        const char *va = maps[i].va;
        if ((const char *)a >= va && (const char *)a < va + maps[i].len)
            return vtd_harness_mmio_read(maps[i].pa + ((const char *)a - va), size);
    }
    return ~0ULL;
}

uint32_t readl(const volatile void *a) { return (uint32_t)mmio(a, 4); }
uint64_t readq(const volatile void *a) { return mmio(a, 8); }

extern void vtd_harness_mmio_write(uint64_t addr, uint32_t size, uint64_t value);

static void mmio_write(volatile void *a, uint32_t size, uint64_t v)
{
    for (unsigned int i = 0; i < nr_maps; i++) {
        const char *va = maps[i].va;
        if ((const char *)a >= va && (const char *)a < va + maps[i].len) {
            vtd_harness_mmio_write(maps[i].pa + ((const char *)a - va), size, v);
            return;
        }
    }
}

void writel(uint32_t v, volatile void *a) { mmio_write(a, 4, v); }
void writeq(uint64_t v, volatile void *a) { mmio_write(a, 8, v); }

/* PCI and the memory map. */
uint8_t pci_conf_read8(pci_sbdf_t sbdf, unsigned int reg)
{
    return (uint8_t)vtd_harness_pci_read8(sbdf.seg, sbdf.bus, sbdf.dev, sbdf.fn, reg);
}

bool_t pci_device_detect(u16 seg, u8 bus, u8 dev, u8 func)
{
    return vtd_harness_pci_present(seg, bus, dev, func);
}

/*
 * At boot, Xen parses the DMAR before PCI segment 0 is registered, so dmar.c skips
 * its check of DRHD scope devices (the real Xen under QEMU prints no "Non-existent
 * device" line for them, see the oracle's recordings).
 */
bool_t pci_known_segment(u16 seg) { (void)seg; return 0; }

int e820_all_mapped(u64 start, u64 end, unsigned int type)
{
    return vtd_harness_e820_all_mapped(start, end, type);
}

/* The table. */
static struct acpi_table_header *table;

int acpi_get_table_phys(char *signature, u32 instance, acpi_physical_address *addr, acpi_native_uint *len)
{
    (void)signature; (void)instance; (void)addr; (void)len;
    return -1; /* acpi_dmar_init() then skips map_pages_to_xen(). */
}

int tboot_parse_dmar_table(acpi_table_handler handler)
{
    return table ? handler(table) : -ENODEV;
}

/* What the rest of Xen would do, reduced to what dmar.c needs. */
int map_pages_to_xen(unsigned long va, mfn_t mfn, unsigned long nr, unsigned int flags)
{
    (void)va; (void)mfn; (void)nr; (void)flags;
    return 0;
}
nodeid_t pxm_to_node(unsigned int pxm) { (void)pxm; return 0; }
int mfn_valid(mfn_t m) { (void)m; return 1; }
unsigned long simple_strtoul(const char *cp, const char **endp, unsigned int base)
{
    return strtoul(cp, (char **)endp, (int)base);
}
const char *parse_pci_seg(const char *s, unsigned int *seg, unsigned int *bus,
                          unsigned int *dev, unsigned int *func, bool *def_seg)
{
    (void)seg; (void)bus; (void)dev; (void)func; (void)def_seg;
    return s;
}
int iommu_get_extra_reserved_device_memory(iommu_grdm_t *func, void *ctxt)
{
    (void)func; (void)ctxt;
    return 0;
}

/* Xen 4.17 iommu.c iommu_alloc(): the register reads and checks of the parse stage. */
int iommu_alloc(struct acpi_drhd_unit *drhd)
{
    struct vtd_iommu *iommu = xzalloc(struct vtd_iommu);
    unsigned int sagaw, agaw, nr_dom;

    if (!iommu)
        return -ENOMEM;
    iommu->msi.irq = -1;
    iommu->node = NUMA_NO_NODE;
    iommu->drhd = drhd;
    drhd->iommu = iommu;
    iommu->reg = ioremap(drhd->address, PAGE_SIZE);
    if (!iommu->reg) {
        iommu_free(drhd);
        return -ENOMEM;
    }
    iommu->index = nr_iommus++;
    iommu->cap = dmar_readq(iommu->reg, DMAR_CAP_REG);
    iommu->ecap = dmar_readq(iommu->reg, DMAR_ECAP_REG);
    iommu->version = dmar_readl(iommu->reg, DMAR_VER_REG);

    if (!iommu_qinval && !has_register_based_invalidation(iommu)) {
        printk(XENLOG_WARNING VTDPREFIX "IOMMU %d: cannot disable Queued Invalidation\n", iommu->index);
        iommu_qinval = true;
    }
    if (iommu_verbose) {
        printk(VTDPREFIX "drhd->address = %"PRIx64" iommu->reg = %p\n", drhd->address, iommu->reg);
        printk(VTDPREFIX "cap = %"PRIx64" ecap = %"PRIx64"\n", iommu->cap, iommu->ecap);
    }
    if (!(iommu->cap + 1) || !(iommu->ecap + 1)) {
        iommu_free(drhd);
        return -ENODEV;
    }
    nr_dom = cap_ndoms(iommu->cap);
    if (cap_fault_reg_offset(iommu->cap) + cap_num_fault_regs(iommu->cap) * PRIMARY_FAULT_REG_LEN > PAGE_SIZE ||
        ((nr_dom - 1) >> 16) ||
        (has_register_based_invalidation(iommu) && ecap_iotlb_offset(iommu->ecap) >= PAGE_SIZE)) {
        printk(XENLOG_ERR VTDPREFIX "IOMMU: unsupported\n");
        iommu_free(drhd);
        return -ENODEV;
    }
    sagaw = cap_sagaw(iommu->cap);
    /*
     * As in iommu.c: agaw is unsigned, so with SAGAW 0 fls() - 1 wraps and the
     * "agaw <= 0" check does not reject the unit (what the real Xen does with the
     * all-zero registers of a unit QEMU does not have).
     */
    {
        unsigned int x = sagaw & 6, fls = 0;
        while (x) {
            fls++;
            x >>= 1;
        }
        agaw = fls - 1;
    }
    if (agaw <= 0) {
        printk(XENLOG_ERR VTDPREFIX "IOMMU: unsupported sagaw %x\n", sagaw);
        iommu_free(drhd);
        return -ENODEV;
    }
    return 0;
}

void iommu_free(struct acpi_drhd_unit *drhd)
{
    if (drhd->iommu) {
        free(drhd->iommu);
        drhd->iommu = NULL;
    }
}

/*
 * Parse `len` bytes through acpi_dmar_init(); the units stay for a bring-up
 * (c/bringup.c) until the next parse. The table ends against a page that
 * cannot be read, so a read past its end faults (the caller sees the process die)
 * instead of depending on whatever follows the buffer.
 */
void vtd_harness_reset_dmar(void);
void vtd_harness_report_units(void);

int vtd_harness_parse(const uint8_t *bytes, size_t len, int verbose, int force)
{
    /* The units of the last parse (and their register mappings, which a bring-up
     * after that parse used) go now. */
    vtd_harness_reset_dmar();
    for (unsigned int i = 0; i < nr_maps; i++)
        free(maps[i].va);
    nr_maps = 0;
    nr_iommus = 0;
    long page = sysconf(_SC_PAGESIZE);
    size_t span = (len + (size_t)page - 1) / (size_t)page * (size_t)page;
    char *base = mmap(NULL, span + (size_t)page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (base == MAP_FAILED)
        return -ENOMEM;
    if (mprotect(base + span, (size_t)page, PROT_NONE) != 0)
        return -ENOMEM;
    char *at = base + span - len;
    memcpy(at, bytes, len);
    table = (struct acpi_table_header *)at;
    iommu_verbose = verbose != 0;
    force_iommu = force != 0;
    int ret = acpi_dmar_init();
    if (pending[0])
        printk("\n");
    vtd_harness_report_units();
    table = NULL;
    munmap(base, span + (size_t)page);
    return ret;
}
