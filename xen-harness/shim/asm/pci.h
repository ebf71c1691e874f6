#pragma once
#include "vtdshim.h"
struct arch_pci_dev { int unused; };
