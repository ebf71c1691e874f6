#pragma once
/* SPDX-License-Identifier: GPL-2.0-only */
#include "vtdshim.h"
#include <xen/acpi.h>
/* The harness hands its table to the handler (Xen without tboot: acpi_table_parse). */
int tboot_parse_dmar_table(acpi_table_handler dmar_handler);
