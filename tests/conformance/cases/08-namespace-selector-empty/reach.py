# every pod is selected by namespaceSelector {}: the whole matrix is open
