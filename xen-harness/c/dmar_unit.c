/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Xen's dmar.c, unmodified, in this translation unit, so that the harness can reset
 * its file-scope state between tables (for in-process fuzzing). One piece of state
 * stays: the function-local `static int include_all` of acpi_parse_one_drhd(), which
 * makes every INCLUDE_PCI_ALL table after the first look like a second one; the
 * process-per-table path (`xen-dmar-parse`) has no such carry-over.
 */
#include "dmar.c"

void vtd_harness_reset_dmar(void)
{
    INIT_LIST_HEAD(&acpi_drhd_units);
    INIT_LIST_HEAD(&acpi_rmrr_units);
    INIT_LIST_HEAD(&acpi_atsr_units);
    INIT_LIST_HEAD(&acpi_rhsa_units);
    dmar_table = NULL;
    dmar_flags = 0;
    igd_drhd_address = 0;
    nr_rmrr = 0;
}
