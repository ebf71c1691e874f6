#pragma once
/* SPDX-License-Identifier: GPL-2.0-only */
#include "vtdshim.h"
/* Only the ACPICA table definitions: actypes.h and actbl*.h, which hold DMAR's. */
#define ACPI_MACHINE_WIDTH 64
#define COMPILER_DEPENDENT_INT64 long
#define COMPILER_DEPENDENT_UINT64 unsigned long
#define ACPI_INLINE inline
#define ACPI_SYSTEM_XFACE
#define ACPI_EXTERNAL_XFACE
#define ACPI_INTERNAL_XFACE
#define ACPI_INTERNAL_VAR_XFACE
#define ACPI_USE_DO_WHILE_0
#define ACPI_USE_LOCAL_CACHE
#define ACPI_DEBUGGER_EXEC(a)
#define ACPI_CACHE_T void
#define ACPI_SPINLOCK void *
#define ACPI_CPU_FLAGS unsigned long
#include <acpi/acconfig.h>
#include <acpi/actypes.h>
#include <acpi/actbl.h>
typedef int (*acpi_table_handler)(struct acpi_table_header *table);
int acpi_get_table_phys(char *signature, u32 instance, acpi_physical_address *addr, acpi_native_uint *len);
acpi_status acpi_get_table(char *signature, u32 instance, struct acpi_table_header **out);
int acpi_dmar_init(void);
void acpi_dmar_zap(void);
void acpi_dmar_reinstate(void);
#define ACPI_SUCCESS(a) (!(a))
#define __va(pa) ((void *)(uintptr_t)(pa))
#define __pa(va) ((paddr_t)(uintptr_t)(va))
