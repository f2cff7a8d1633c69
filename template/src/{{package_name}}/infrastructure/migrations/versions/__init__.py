"""One revision per entity table, chained in the order the entities were declared."""
