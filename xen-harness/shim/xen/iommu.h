#pragma once
/* SPDX-License-Identifier: GPL-2.0-only */
#include "vtdshim.h"
#include <xen/pci.h>
extern bool iommu_enable, iommu_enabled, force_iommu, iommu_verbose, iommu_igfx, iommu_qinval, iommu_snoop;
extern enum __packed iommu_intremap { iommu_intremap_off, iommu_intremap_restricted, iommu_intremap_full } iommu_intremap;
extern bool iommu_hwdom_inclusive;
#define iommu_inclusive_mapping iommu_hwdom_inclusive
typedef int iommu_grdm_t(xen_pfn_t start, xen_ulong_t nr, u32 id, void *ctxt);
struct iommu_init_ops { int (*setup)(void); bool (*supports_x2apic)(void); int (*enable_x2apic)(void); void (*disable_x2apic)(void); };
extern const struct iommu_init_ops *iommu_init_ops;
struct domain;
struct page_info;
#define IOMMU_PAGE_SIZE(sz) (1UL << PAGE_SHIFT_##sz)
int iommu_get_extra_reserved_device_memory(iommu_grdm_t *func, void *ctxt);
extern bool iommu_hwdom_passthrough;
