"""Reading and writing riata's inputs and outputs: tables, PLINK genotypes, atomic file output."""
