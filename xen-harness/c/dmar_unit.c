/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Xen's dmar.c, unmodified, in this translation unit, so that the harness can reset
 * its file-scope state between tables (for in-process fuzzing). One piece of state
 * stays: the function-local `static int include_all` of acpi_parse_one_drhd(), which
 * makes every INCLUDE_PCI_ALL table after the first look like a second one; the
 * process-per-table path (`xen-dmar-parse`) has no such carry-over.
 */
#include "dmar.c"

/* What the parser kept, for the Rust side: kind 0 = DRHD (address, INCLUDE_ALL,
 * devices), 1 = RMRR (base, end, devices), 2 = ATSR (segment, ALL_PORTS, devices). */
extern void vtd_harness_unit(uint32_t kind, uint64_t a, uint64_t b, uint32_t devices);

void vtd_harness_report_units(void)
{
    struct acpi_drhd_unit *drhd;
    struct acpi_rmrr_unit *rmrr;
    struct acpi_atsr_unit *atsr;

    list_for_each_entry(drhd, &acpi_drhd_units, list)
        vtd_harness_unit(0, drhd->address, drhd->include_all, (uint32_t)drhd->scope.devices_cnt);
    list_for_each_entry(rmrr, &acpi_rmrr_units, list)
        vtd_harness_unit(1, rmrr->base_address, rmrr->end_address, (uint32_t)rmrr->scope.devices_cnt);
    list_for_each_entry(atsr, &acpi_atsr_units, list)
        vtd_harness_unit(2, atsr->segment, atsr->all_ports, (uint32_t)atsr->scope.devices_cnt);
}

static void free_scope(struct dmar_scope *s)
{
    xfree(s->devices);
    s->devices = NULL;
    s->devices_cnt = 0;
}

void vtd_harness_reset_dmar(void)
{
    struct acpi_drhd_unit *drhd, *dn;
    struct acpi_rmrr_unit *rmrr, *rn;
    struct acpi_atsr_unit *atsr, *an;
    struct acpi_rhsa_unit *rhsa, *hn;

    list_for_each_entry_safe(drhd, dn, &acpi_drhd_units, list) {
        struct acpi_ioapic_unit *io, *ion;
        struct acpi_hpet_unit *hp, *hpn;
        list_for_each_entry_safe(io, ion, &drhd->ioapic_list, list)
            xfree(io);
        list_for_each_entry_safe(hp, hpn, &drhd->hpet_list, list)
            xfree(hp);
        free_scope(&drhd->scope);
        xfree(drhd->iommu);
        xfree(drhd);
    }
    list_for_each_entry_safe(rmrr, rn, &acpi_rmrr_units, list) {
        free_scope(&rmrr->scope);
        xfree(rmrr);
    }
    list_for_each_entry_safe(atsr, an, &acpi_atsr_units, list) {
        free_scope(&atsr->scope);
        xfree(atsr);
    }
    list_for_each_entry_safe(rhsa, hn, &acpi_rhsa_units, list)
        xfree(rhsa);
    INIT_LIST_HEAD(&acpi_drhd_units);
    INIT_LIST_HEAD(&acpi_rmrr_units);
    INIT_LIST_HEAD(&acpi_atsr_units);
    INIT_LIST_HEAD(&acpi_rhsa_units);
    dmar_table = NULL;
    dmar_flags = 0;
    igd_drhd_address = 0;
    nr_rmrr = 0;
}
