package com.example.inventory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Inventory keeps item counts per warehouse.
 */
public class Inventory {
    private final Map<String, Integer> counts = new HashMap<>();
    private final String warehouse;

    public Inventory(String warehouse) {
        this.warehouse = warehouse;
    }

    /** Adds quantity units of sku. */
    public void add(String sku, int quantity) {
        if (quantity <= 0) {
            throw new IllegalArgumentException("quantity must be positive");
        }
        counts.merge(sku, quantity, Integer::sum);
    }

    public boolean remove(String sku, int quantity) {
        Integer have = counts.get(sku);
        if (have == null || have < quantity) {
            return false;
        }
        counts.put(sku, have - quantity);
        return true;
    }

    public List<String> lowStock(int threshold) {
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, Integer> e : counts.entrySet()) {
            if (e.getValue() < threshold) {
                out.add(e.getKey());
            }
        }
        return out;
    }

    public enum Status { IN_STOCK, LOW, OUT }

    static class Entry {
        String sku;
        int count;
    }
}

interface Auditor {
    void audit(Inventory inv);
}
